// Package k8s holds Savannah's Kubernetes manifests (base/ and overlays/)
// and no code: its tests render each kustomization with the kustomize Go
// API, decode every object strictly into the official Kubernetes API types,
// and check the invariants the deployment relies on. It is a module of its
// own so that the server's module does not depend on the Kubernetes API.
package k8s
