package k8s_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// decoder decodes YAML or JSON into the official API types of the groups
// Savannah uses, failing on unknown or duplicate fields and on kinds it
// does not know. Registering the groups here rather than using client-go's
// scheme keeps the module small, and keeps out kinds we never deploy.
var decoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		batchv1.AddToScheme,
		networkingv1.AddToScheme,
		policyv1.AddToScheme,
		autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// secretExample is the Secret template: not rendered, documented in it.
const secretExample = "base/secret.example.yaml"

// backupSecret is the backup CronJob's Secret (object storage settings),
// documented in base/backup-cronjob.yaml; only that CronJob reads it.
const backupSecret = "savannah-backup"

// objects is one kustomization's output, decoded.
type objects struct {
	configMaps  map[string]*corev1.ConfigMap
	secrets     []*corev1.Secret
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	jobs        []*batchv1.Job
	cronJobs    []*batchv1.CronJob
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	ingresses   []*networkingv1.Ingress
	policies    []*networkingv1.NetworkPolicy
}

// build renders the kustomization in dir (relative to this directory or
// absolute) and decodes every object strictly.
func build(dir string) (*objects, error) {
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	o := &objects{configMaps: map[string]*corev1.ConfigMap{}}
	for _, r := range resources.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		if err := o.add(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
	}
	return o, nil
}

// add decodes one object strictly and files it by kind. A kind that the
// scheme knows but the deployment has no use for is an error too.
func (o *objects) add(doc []byte) error {
	obj, _, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		return err
	}
	switch v := obj.(type) {
	case *corev1.ConfigMap:
		o.configMaps[v.Name] = v
	case *corev1.Secret:
		o.secrets = append(o.secrets, v)
	case *corev1.Service:
		o.services = append(o.services, v)
	case *appsv1.Deployment:
		o.deployments = append(o.deployments, v)
	case *batchv1.Job:
		o.jobs = append(o.jobs, v)
	case *batchv1.CronJob:
		o.cronJobs = append(o.cronJobs, v)
	case *policyv1.PodDisruptionBudget:
		o.pdbs = append(o.pdbs, v)
	case *autoscalingv2.HorizontalPodAutoscaler:
		o.hpas = append(o.hpas, v)
	case *networkingv1.Ingress:
		o.ingresses = append(o.ingresses, v)
	case *networkingv1.NetworkPolicy:
		o.policies = append(o.policies, v)
	default:
		return fmt.Errorf("unexpected kind %T", obj)
	}
	return nil
}

// TestManifestsDecodeStrictly renders the base and both overlays and
// decodes every object into the official types; the invariants are in
// TestOverlayInvariants.
func TestManifestsDecodeStrictly(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"base", "overlays/dev", "overlays/prod"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			o, err := build(dir)
			require.NoError(t, err)
			assert.Len(t, o.deployments, 2, "Deployments")
			assert.Len(t, o.jobs, 1, "Jobs")
			assert.Len(t, o.cronJobs, 1, "CronJobs")
			assert.Len(t, o.services, 1, "Services")
			assert.Len(t, o.ingresses, 1, "Ingresses")
			assert.Len(t, o.configMaps, 1, "ConfigMaps")
			assert.NotEmpty(t, o.policies, "NetworkPolicies")
		})
	}
}

// TestStrictDecodingRejects proves the decoding above is strict: the same
// pipeline (a kustomization rendered by krusty, then decoded) fails on a
// misspelled field at any depth, a wrong type and an unknown kind, and
// accepts the correct manifest it starts from.
func TestStrictDecodingRejects(t *testing.T) {
	t.Parallel()
	const good = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: probe
spec:
  replicas: 2
  selector:
    matchLabels: {app: probe}
  template:
    metadata:
      labels: {app: probe}
    spec:
      containers:
        - name: app
          image: example/app
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
`
	cases := []struct {
		name     string
		old, new string // replaced in good; both empty keeps it
		wantErr  string // empty: must decode
	}{
		{name: "correct manifest decodes"},
		{name: "misspelled top-level spec field", old: "replicas: 2", new: "replica: 2", wantErr: `unknown field "spec.replica"`},
		{name: "misspelled container field", old: "readinessProbe:", new: "readinessProbes:", wantErr: `unknown field "spec.template.spec.containers[0].readinessProbes"`},
		{name: "misspelled probe field", old: "path: /readyz", new: "pathh: /readyz", wantErr: `unknown field "spec.template.spec.containers[0].readinessProbe.httpGet.pathh"`},
		{name: "wrong type", old: "replicas: 2", new: "replicas: two", wantErr: "replicas"},
		{name: "unknown kind", old: "kind: Deployment", new: "kind: Deploymnet", wantErr: `no kind "Deploymnet" is registered`},
		{name: "unregistered group", old: "apiVersion: apps/v1", new: "apiVersion: example.com/v1", wantErr: "example.com/v1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			manifest := strings.Replace(good, tc.old, tc.new, 1)
			require.False(t, tc.old != "" && manifest == good, "%q is not in the manifest", tc.old)
			write(t, filepath.Join(dir, "deployment.yaml"), manifest)
			write(t, filepath.Join(dir, "kustomization.yaml"), "resources:\n  - deployment.yaml\n")
			_, err := build(dir)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// TestSecretExample keeps the Secret template honest: it decodes strictly,
// holds placeholders only, lists the required keys, and shares no key with
// the ConfigMap (a key in both would be decided by envFrom order alone).
func TestSecretExample(t *testing.T) {
	t.Parallel()
	s := readSecretExample(t)
	assert.Empty(t, s.Data, "%s: use stringData with placeholders, not data", secretExample)
	for k, v := range s.StringData {
		assert.True(t, v == "" || strings.Contains(v, "CHANGE-ME"), "%s: %s must be empty or a CHANGE-ME placeholder", secretExample, k)
	}
	for _, k := range []string{"DATABASE_URL", "JWT_PRIVATE_KEY", "REDIS_URL"} {
		assert.NotEmpty(t, s.StringData[k], "%s: %s", secretExample, k)
	}
	base, err := build("base")
	require.NoError(t, err)
	for _, cm := range base.configMaps {
		for k := range s.StringData {
			assert.NotContains(t, cm.Data, k, "%s is in both %s and ConfigMap %s", k, secretExample, cm.Name)
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// readSecretExample decodes the Secret template strictly. Its name is the
// one Secret pods may reference, created out of band.
func readSecretExample(t *testing.T) *corev1.Secret {
	t.Helper()
	doc, err := os.ReadFile(secretExample)
	require.NoError(t, err)
	var o objects
	require.NoError(t, o.add(doc), secretExample)
	require.Len(t, o.secrets, 1, secretExample)
	return o.secrets[0]
}
