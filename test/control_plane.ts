// The suites' view of the test cluster: re-exports the public testing
// module's control plane (lib/testing), which our tests use as users would.
export * from "../lib/testing/control_plane.ts";
