// The testing module's flag planner (lib/testing/_component_args.ts), release
// by release, with no binary: what kube-apiserver, kube-scheduler,
// kube-controller-manager and the kubelet are given for 1.20 (the release we
// build), 1.24, 1.27, 1.31 and 1.36 (current), each where a component's
// accepted flags or configuration changed; how a `--version` output is read;
// and how a user's `apiserverFlags` add to, change and remove ours.
// test/integration/testing/component_versions_test.ts runs the same selection through
// startCluster against stand-in executables.

import assert from "node:assert/strict";
import {
  apiserverArgs,
  type ApiserverPlan,
  applyFlags,
  controllerArgs,
  kubeletArgs,
  kubeletConfig,
  type KubeletPlan,
  type KubeRelease,
  parseRelease,
} from "../../../lib/testing/_component_args.ts";
import { TestingError } from "../../../lib/testing/testing_error.ts";

const release = (minor: number): KubeRelease => ({
  minor,
  gitVersion: `v1.${minor}.0`,
});
const cert = (name: string) => ({
  certFile: `/pki/${name}.crt`,
  keyFile: `/pki/${name}.key`,
  certPem: "",
  keyPem: "",
});
const apiserverPlan = (minor: number): ApiserverPlan => ({
  release: release(minor),
  etcdUrl: "http://127.0.0.1:2379",
  port: 6443,
  dir: "/cp",
  creds: {
    ca: cert("ca"),
    serving: cert("apiserver"),
    admin: cert("admin"),
    limited: cert("limited"),
    sa: { privateKeyFile: "/pki/sa.key", publicKeyFile: "/pki/sa.pub" },
    kubeletClient: cert("kubelet-client"),
    frontProxyCa: cert("front-proxy-ca"),
    frontProxyClient: cert("front-proxy-client"),
    tokens: { admin: "a", limited: "l" },
    tokensFile: "/pki/tokens.csv",
  },
});
const kubeletPlan = (minor: number, cgroupV1 = true): KubeletPlan => ({
  release: release(minor),
  dir: "/node",
  sock: "/node/run/containerd.sock",
  ip: "10.88.0.1",
  nodeName: "kube-test-node",
  kubeconfig: "/node/kubelet.kubeconfig",
  ca: "/pki/ca.crt",
  serving: cert("kubelet"),
  ports: { kubelet: 10250, healthz: 10248 },
  cgroupV1,
});
const flagNames = (args: string[]) => args.map((a) => a.split("=")[0]);

/** The releases the table is checked at, and what each is expected to get. */
const EXPECTED = [
  {
    minor: 20,
    apiserverInsecurePort: true,
    controllersPort: true,
    kubeletContainerRuntimeFlag: true,
    kubeletEndpointFlag: true,
    failCgroupV1: false,
  },
  {
    minor: 24,
    apiserverInsecurePort: false,
    controllersPort: false,
    kubeletContainerRuntimeFlag: true,
    kubeletEndpointFlag: true,
    failCgroupV1: false,
  },
  {
    minor: 27,
    apiserverInsecurePort: false,
    controllersPort: false,
    kubeletContainerRuntimeFlag: false,
    kubeletEndpointFlag: false,
    failCgroupV1: false,
  },
  {
    minor: 31,
    apiserverInsecurePort: false,
    controllersPort: false,
    kubeletContainerRuntimeFlag: false,
    kubeletEndpointFlag: false,
    failCgroupV1: true,
  },
  {
    minor: 36,
    apiserverInsecurePort: false,
    controllersPort: false,
    kubeletContainerRuntimeFlag: false,
    kubeletEndpointFlag: false,
    failCgroupV1: true,
  },
];

for (const e of EXPECTED) {
  Deno.test(`1.${e.minor}: kube-apiserver gets --insecure-port=0 only before 1.24`, () => {
    const args = apiserverArgs(apiserverPlan(e.minor));
    assert.equal(args.includes("--insecure-port=0"), e.apiserverInsecurePort);
    // What every release takes is passed to every release.
    for (
      const flag of [
        "--etcd-servers=http://127.0.0.1:2379",
        "--secure-port=6443",
        "--authorization-mode=Node,RBAC",
        "--watch-cache-sizes=configmaps#0",
        "--token-auth-file=/pki/tokens.csv",
        // The aggregation layer's, unchanged from 1.7 on.
        "--proxy-client-cert-file=/pki/front-proxy-client.crt",
        "--proxy-client-key-file=/pki/front-proxy-client.key",
        "--requestheader-client-ca-file=/pki/front-proxy-ca.crt",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      ]
    ) assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
    assert.equal(new Set(flagNames(args)).size, args.length, "no repeats");
  });

  Deno.test(`1.${e.minor}: kube-scheduler and kube-controller-manager get --port=0 only before 1.24`, () => {
    const args = controllerArgs({
      release: release(e.minor),
      kubeconfig: "/node/admin.kubeconfig",
      port: 10259,
      certDir: "/node/scheduler-certs",
      extra: ["--controllers=deployment"],
    });
    assert.equal(args.includes("--port=0"), e.controllersPort);
    assert.deepEqual(
      args.filter((a) => a !== "--port=0"),
      [
        "--kubeconfig=/node/admin.kubeconfig",
        "--authentication-kubeconfig=/node/admin.kubeconfig",
        "--authorization-kubeconfig=/node/admin.kubeconfig",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        "--secure-port=10259",
        "--cert-dir=/node/scheduler-certs",
        "--controllers=deployment",
        "--v=1",
      ],
    );
  });

  Deno.test(`1.${e.minor}: the kubelet gets its runtime by flag before 1.27 and by configuration from 1.27`, () => {
    const plan = kubeletPlan(e.minor);
    const args = kubeletArgs(plan);
    const config = kubeletConfig(plan);
    assert.equal(
      args.includes("--container-runtime=remote"),
      e.kubeletContainerRuntimeFlag,
    );
    assert.equal(
      args.includes(
        "--container-runtime-endpoint=unix:///node/run/containerd.sock",
      ),
      e.kubeletEndpointFlag,
    );
    assert.equal(
      config.containerRuntimeEndpoint,
      e.kubeletEndpointFlag ? undefined : "unix:///node/run/containerd.sock",
    );
    assert.ok(args.includes("--config=/node/kubelet.yaml"));
    assert.ok(args.includes("--hostname-override=kube-test-node"));
    assert.equal(config.kind, "KubeletConfiguration");
    assert.equal(config.port, 10250);
  });

  Deno.test(`1.${e.minor}: on a cgroup v1 host the kubelet is told failCgroupV1: false from 1.31 on, and never on cgroup v2`, () => {
    const v1 = kubeletConfig(kubeletPlan(e.minor, true));
    assert.equal(v1.failCgroupV1, e.failCgroupV1 ? false : undefined);
    assert.equal("failCgroupV1" in v1, e.failCgroupV1);
    const v2 = kubeletConfig(kubeletPlan(e.minor, false));
    assert.equal("failCgroupV1" in v2, false);
  });
}

Deno.test("a --version output is read as its release; one naming none is undefined", () => {
  assert.deepEqual(parseRelease("Kubernetes v1.20.2\n"), {
    minor: 20,
    gitVersion: "v1.20.2",
  });
  assert.deepEqual(parseRelease("Kubernetes v1.36.0-rc.1+0123abc"), {
    minor: 36,
    gitVersion: "v1.36.0-rc.1+0123abc",
  });
  assert.equal(parseRelease("Kubernetes v0.0.0-master+$Format:%H$"), undefined);
  assert.equal(parseRelease("etcd Version: 3.4.23"), undefined);
  assert.equal(parseRelease(""), undefined);
});

Deno.test("apiserverFlags as a list go after ours, as before", () => {
  const ours = apiserverArgs(apiserverPlan(36));
  const args = apiserverArgs({
    ...apiserverPlan(36),
    flags: ["--v=4", "--max-requests-inflight=10"],
  });
  assert.deepEqual(args, [...ours, "--v=4", "--max-requests-inflight=10"]);
});

Deno.test("apiserverFlags as an object replace our value in place, remove a flag given null, and add one we do not pass", () => {
  const ours = apiserverArgs(apiserverPlan(20));
  const args = apiserverArgs({
    ...apiserverPlan(20),
    flags: {
      "--v": "4",
      "--insecure-port": null,
      "--enable-priority-and-fairness": null,
      "--max-requests-inflight": "50",
    },
  });
  // In place: after the flag ours came after.
  assert.equal(
    args[args.indexOf("--v=4") - 1],
    ours[ours.indexOf("--v=1") - 1],
  );
  assert.ok(!args.includes("--v=1"));
  assert.ok(!flagNames(args).includes("--insecure-port"));
  assert.ok(!flagNames(args).includes("--enable-priority-and-fairness"));
  assert.equal(args.at(-1), "--max-requests-inflight=50");
  assert.equal(args.length, ours.length - 2 + 1);
});

Deno.test("removing a flag this release does not get changes nothing, so one object serves every release", () => {
  const plan = apiserverPlan(36);
  assert.deepEqual(
    apiserverArgs({ ...plan, flags: { "--insecure-port": null } }),
    apiserverArgs(plan),
  );
});

Deno.test("an object key that is not a flag name is an InvalidOption TestingError naming the option and the key", () => {
  for (const key of ["v", "--v=4", "-v", "--"]) {
    assert.throws(
      () => applyFlags([], { [key]: "1" } as never, "apiserverFlags"),
      (e: unknown) => {
        assert.ok(e instanceof TestingError);
        assert.equal(e.reason, "InvalidOption");
        assert.equal(
          e.message,
          `apiserverFlags: expected keys naming flags ("--name"), found ${
            JSON.stringify(key)
          }`,
        );
        return true;
      },
    );
  }
  assert.throws(
    () => applyFlags([], { "--v": 4 } as never, "apiserverFlags"),
    /apiserverFlags\["--v"\]: expected a string \(the value\) or null \(remove the flag\), found number/,
  );
  assert.throws(
    () => applyFlags([], [4] as never, "apiserverFlags"),
    /apiserverFlags: expected flags as strings, found number/,
  );
});
