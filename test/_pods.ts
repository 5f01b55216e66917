// Realistic Pod objects for benchmarks: the fields and sizes a real cluster's
// watch stream carries (labels, annotations, managedFields, spec, status).

export function fakePod(i: number, rv: number): Record<string, unknown> {
  const name = `web-${i.toString(36)}-${(i * 7919).toString(36).slice(0, 5)}`;
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name,
      generateName: "web-",
      namespace: `team-${i % 13}`,
      uid: `0c5b${
        (i * 2654435761 >>> 0).toString(16).padStart(8, "0")
      }-9f3a-4b1e-8c2d-${(i * 40503).toString(16).padStart(12, "0")}`,
      resourceVersion: String(rv),
      creationTimestamp: "2026-11-20T10:00:00Z",
      labels: {
        app: "web",
        "pod-template-hash": "5d8f7c9b6",
        tier: i % 2 ? "front" : "back",
        shard: String(i % 16),
      },
      annotations: {
        "kubectl.kubernetes.io/restartedAt": "2026-11-19T08:00:00Z",
        "prometheus.io/scrape": "true",
      },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-5d8f7c9b6",
        uid: "3b1f0c22-7d44-4a57-9d0e-2f6a8e9b1c33",
        controller: true,
        blockOwnerDeletion: true,
      }],
      managedFields: [{
        manager: "kube-controller-manager",
        operation: "Update",
        apiVersion: "v1",
        time: "2026-11-20T10:00:00Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": { "f:containers": {} },
        },
      }],
    },
    spec: {
      containers: [{
        name: "web",
        image: "registry.example.com/web:1.24.3",
        ports: [{ containerPort: 8080, protocol: "TCP" }],
        env: [{ name: "MODE", value: "production" }, {
          name: "SHARD",
          value: String(i % 16),
        }],
        resources: {
          limits: { cpu: "500m", memory: "256Mi" },
          requests: { cpu: "100m", memory: "128Mi" },
        },
        volumeMounts: [{
          name: "kube-api-access",
          mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
          readOnly: true,
        }],
        terminationMessagePath: "/dev/termination-log",
        imagePullPolicy: "IfNotPresent",
      }],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      nodeName: `node-${i % 40}`,
      schedulerName: "default-scheduler",
      tolerations: [{
        key: "node.kubernetes.io/not-ready",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      }],
    },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"]
        .map((type) => ({
          type,
          status: "True",
          lastProbeTime: null,
          lastTransitionTime: "2026-11-20T10:00:05Z",
        })),
      hostIP: `10.0.${i % 40}.1`,
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      startTime: "2026-11-20T10:00:00Z",
      containerStatuses: [{
        name: "web",
        state: { running: { startedAt: "2026-11-20T10:00:04Z" } },
        ready: true,
        restartCount: 0,
        image: "registry.example.com/web:1.24.3",
        imageID:
          "registry.example.com/web@sha256:9a3c6b1f0e8d7c2b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
        containerID: `containerd://${(i * 31).toString(16).padStart(64, "0")}`,
        started: true,
      }],
      qosClass: "Burstable",
    },
  };
}
