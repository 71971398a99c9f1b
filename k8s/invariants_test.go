package k8s_test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// overlay is what a kustomization must render to, where overlays differ.
type overlay struct {
	dir            string
	apiReplicas    int32
	workerReplicas int32
	// autoscaled: an autoscaler and a disruption budget for the api.
	autoscaled bool
	// pinnedImage: the image carries a tag or digest (the release).
	pinnedImage bool
}

var overlays = []overlay{
	{dir: "base", apiReplicas: 2, workerReplicas: 1, autoscaled: true},
	{dir: "overlays/dev", apiReplicas: 1, workerReplicas: 1},
	{dir: "overlays/prod", apiReplicas: 3, workerReplicas: 2, autoscaled: true, pinnedImage: true},
}

// configDefaults are internal/config's defaults for the variables checked
// here, which apply when neither env nor a ConfigMap sets them.
var configDefaults = map[string]string{
	"HTTP_ADDR":        ":8080",
	"SHUTDOWN_TIMEOUT": "20s",
	"AUTO_MIGRATE":     "true",
}

// checks are the invariants the deployment relies on, each run against
// every overlay.
var checks = []struct {
	name  string
	check func(t *testing.T, o *objects, want overlay)
}{
	{"api replicas and a rollout that never drops below them", func(t *testing.T, o *objects, want overlay) {
		api := o.deployment(t, "api")
		require.NotNil(t, api.Spec.Replicas)
		assert.Equal(t, want.apiReplicas, *api.Spec.Replicas)
		if want.autoscaled {
			assert.GreaterOrEqual(t, *api.Spec.Replicas, int32(2), "an autoscaled api needs two replicas to survive a node")
		}
		worker := o.deployment(t, "worker")
		require.NotNil(t, worker.Spec.Replicas)
		assert.Equal(t, want.workerReplicas, *worker.Spec.Replicas)
		for _, d := range []*appsv1.Deployment{api, worker} {
			ru := d.Spec.Strategy.RollingUpdate
			require.Equal(t, appsv1.RollingUpdateDeploymentStrategyType, d.Spec.Strategy.Type, d.Name)
			require.NotNil(t, ru, d.Name)
			require.NotNil(t, ru.MaxUnavailable, d.Name)
			unavailable, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, int(*d.Spec.Replicas), true)
			require.NoError(t, err)
			assert.Zero(t, unavailable, "%s: maxUnavailable", d.Name)
			require.NotNil(t, ru.MaxSurge, d.Name)
			surge, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxSurge, int(*d.Spec.Replicas), true)
			require.NoError(t, err)
			assert.Positive(t, surge, "%s: maxSurge must be positive when maxUnavailable is 0", d.Name)
		}
	}},
	{"probes on the right paths and the port the server listens on", func(t *testing.T, o *objects, _ overlay) {
		for _, d := range []*appsv1.Deployment{o.deployment(t, "api"), o.deployment(t, "worker")} {
			c := onlyContainer(t, &d.Spec.Template.Spec)
			addr := o.env(c, "HTTP_ADDR")
			_, port, err := net.SplitHostPort(addr)
			require.NoError(t, err, "%s: HTTP_ADDR %q", d.Name, addr)
			for _, p := range []struct {
				kind  string
				probe *corev1.Probe
				path  string
			}{
				{"startup", c.StartupProbe, "/healthz"},
				{"liveness", c.LivenessProbe, "/healthz"},
				{"readiness", c.ReadinessProbe, "/readyz"},
			} {
				if !assert.NotNil(t, p.probe, "%s: %s probe", d.Name, p.kind) || !assert.NotNil(t, p.probe.HTTPGet, "%s: %s probe", d.Name, p.kind) {
					continue
				}
				assert.Equal(t, p.path, p.probe.HTTPGet.Path, "%s: %s probe path", d.Name, p.kind)
				assert.Equal(t, port, strconv.Itoa(int(containerPort(t, c, p.probe.HTTPGet.Port))), "%s: %s probe port vs HTTP_ADDR", d.Name, p.kind)
			}
		}
	}},
	{"pods run as non-root on a read-only root filesystem", func(t *testing.T, o *objects, _ overlay) {
		for name, pod := range o.podSpecs() {
			assert.False(t, pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken, "%s: automountServiceAccountToken", name)
			for _, c := range allContainers(pod) {
				sc := c.SecurityContext
				require.NotNil(t, sc, "%s/%s: securityContext", name, c.Name)
				nonRoot := sc.RunAsNonRoot
				if nonRoot == nil && pod.SecurityContext != nil {
					nonRoot = pod.SecurityContext.RunAsNonRoot
				}
				assert.True(t, nonRoot != nil && *nonRoot, "%s/%s: runAsNonRoot", name, c.Name)
				assert.True(t, sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem, "%s/%s: readOnlyRootFilesystem", name, c.Name)
				assert.True(t, sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "%s/%s: allowPrivilegeEscalation must be false", name, c.Name)
			}
		}
	}},
	{"every container requests and limits CPU and memory", func(t *testing.T, o *objects, _ overlay) {
		for name, pod := range o.podSpecs() {
			for _, c := range allContainers(pod) {
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					req, ok := c.Resources.Requests[r]
					assert.True(t, ok && !req.IsZero(), "%s/%s: %s request", name, c.Name, r)
					limit, ok := c.Resources.Limits[r]
					assert.True(t, ok && !limit.IsZero(), "%s/%s: %s limit", name, c.Name, r)
					assert.True(t, req.Cmp(limit) <= 0, "%s/%s: %s request above its limit", name, c.Name, r)
				}
			}
		}
	}},
	{"preStop and SHUTDOWN_TIMEOUT fit in the grace period", func(t *testing.T, o *objects, _ overlay) {
		for _, d := range o.deployments {
			pod := d.Spec.Template.Spec
			require.NotNil(t, pod.TerminationGracePeriodSeconds, d.Name)
			grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
			c := onlyContainer(t, &pod)
			shutdown, err := time.ParseDuration(o.env(c, "SHUTDOWN_TIMEOUT"))
			require.NoError(t, err, d.Name)
			var preStop time.Duration
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
				require.NotNil(t, c.Lifecycle.PreStop.Sleep, "%s: preStop must be a sleep (the image has no shell)", d.Name)
				preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			}
			if d.Labels["app.kubernetes.io/component"] == "api" {
				assert.Positive(t, preStop, "%s: the api needs a preStop delay to leave the endpoints before SIGTERM", d.Name)
			}
			assert.Less(t, preStop, grace, "%s: preStop sleep vs terminationGracePeriodSeconds", d.Name)
			assert.LessOrEqual(t, preStop+shutdown, grace, "%s: preStop + SHUTDOWN_TIMEOUT vs terminationGracePeriodSeconds", d.Name)
		}
	}},
	{"roles: api, worker and the migrate Job", func(t *testing.T, o *objects, _ overlay) {
		for role, d := range map[string]*appsv1.Deployment{"api": o.deployment(t, "api"), "worker": o.deployment(t, "worker")} {
			c := onlyContainer(t, &d.Spec.Template.Spec)
			assert.Equal(t, []string{"serve", "--role", role}, c.Args, d.Name)
			assert.Empty(t, c.Command, "%s: the image's entrypoint runs", d.Name)
			assert.Equal(t, "false", o.env(c, "AUTO_MIGRATE"), "%s: migrations belong to the Job", d.Name)
		}
		require.Len(t, o.jobs, 1)
		job := o.jobs[0]
		c := onlyContainer(t, &job.Spec.Template.Spec)
		assert.Equal(t, []string{"migrate"}, c.Args, job.Name)
		assert.Empty(t, c.Command, job.Name)
		assert.Equal(t, corev1.RestartPolicyNever, job.Spec.Template.Spec.RestartPolicy, job.Name)
	}},
	{"selectors pick their own pods and no others", func(t *testing.T, o *objects, _ overlay) {
		templates := o.podLabels()
		for _, d := range o.deployments {
			require.NotNil(t, d.Spec.Selector, d.Name)
			assert.Equal(t, []string{"Deployment/" + d.Name}, matching(t, d.Spec.Selector, templates), "%s: selector", d.Name)
			for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
				assert.Equal(t, []string{"Deployment/" + d.Name}, matching(t, c.LabelSelector, templates), "%s: spread over %s", d.Name, c.TopologyKey)
			}
		}
	}},
	{"the Service selects only api pods, on the api's port", func(t *testing.T, o *objects, _ overlay) {
		api := o.deployment(t, "api")
		for _, s := range o.services {
			require.NotEmpty(t, s.Spec.Selector, "%s: an empty selector selects every pod", s.Name)
			assert.Equal(t, []string{"Deployment/" + api.Name}, matching(t, &metav1.LabelSelector{MatchLabels: s.Spec.Selector}, o.podLabels()), s.Name)
			for _, p := range s.Spec.Ports {
				containerPort(t, onlyContainer(t, &api.Spec.Template.Spec), p.TargetPort)
			}
		}
	}},
	{"disruption budget and autoscaler for the api", func(t *testing.T, o *objects, want overlay) {
		if !want.autoscaled {
			assert.Empty(t, o.pdbs)
			assert.Empty(t, o.hpas)
			return
		}
		api := o.deployment(t, "api")
		require.Len(t, o.pdbs, 1)
		assert.Equal(t, []string{"Deployment/" + api.Name}, matching(t, o.pdbs[0].Spec.Selector, o.podLabels()), o.pdbs[0].Name)
		require.Len(t, o.hpas, 1)
		hpa := o.hpas[0]
		assert.Equal(t, "apps/v1", hpa.Spec.ScaleTargetRef.APIVersion, hpa.Name)
		assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind, hpa.Name)
		assert.Equal(t, api.Name, hpa.Spec.ScaleTargetRef.Name, hpa.Name)
		require.NotNil(t, hpa.Spec.MinReplicas, hpa.Name)
		assert.Equal(t, *api.Spec.Replicas, *hpa.Spec.MinReplicas, "%s: floor vs the Deployment's replicas (each apply resets them)", hpa.Name)
		assert.GreaterOrEqual(t, hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas, hpa.Name)
	}},
	{"one image for both Deployments and the Job", func(t *testing.T, o *objects, want overlay) {
		images := map[string][]string{}
		for name, pod := range o.podSpecs() {
			if strings.HasPrefix(name, "CronJob/") {
				continue // the backup runs the PostgreSQL and AWS CLI images
			}
			for _, c := range allContainers(pod) {
				images[c.Image] = append(images[c.Image], name)
			}
		}
		require.Len(t, images, 1, "images: %v", images)
		for image := range images {
			tag := image[strings.LastIndex(image, "/")+1:]
			pinned := strings.Contains(tag, ":") || strings.Contains(image, "@sha256:")
			assert.Equal(t, want.pinnedImage, pinned, "image %s: pinned", image)
		}
	}},
	{"no Secret is rendered; pods reference only known config", func(t *testing.T, o *objects, _ overlay) {
		assert.Empty(t, o.secrets, "secrets are created out of band from %s", secretExample)
		secret := readSecretExample(t).Name
		for name, pod := range o.podSpecs() {
			for _, c := range allContainers(pod) {
				for _, from := range c.EnvFrom {
					if from.ConfigMapRef != nil {
						assert.Contains(t, o.configMaps, from.ConfigMapRef.Name, "%s/%s: envFrom", name, c.Name)
					}
					if from.SecretRef != nil {
						assert.Contains(t, []string{secret, backupSecret}, from.SecretRef.Name, "%s/%s: envFrom", name, c.Name)
						assert.True(t, from.SecretRef.Name != backupSecret || strings.HasPrefix(name, "CronJob/"), "%s/%s: only the backup reads %s", name, c.Name, backupSecret)
					}
				}
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
						assert.Contains(t, o.configMaps, e.ValueFrom.ConfigMapKeyRef.Name, "%s/%s: %s", name, c.Name, e.Name)
					}
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						assert.Equal(t, secret, e.ValueFrom.SecretKeyRef.Name, "%s/%s: %s", name, c.Name, e.Name)
					}
				}
			}
		}
	}},
	{"the Ingress reaches the api Service and none of its internal routes", func(t *testing.T, o *objects, _ overlay) {
		api := o.deployment(t, "api")
		for _, ing := range o.ingresses {
			require.NotNil(t, ing.Spec.IngressClassName, ing.Name)
			for _, rule := range ing.Spec.Rules {
				require.NotNil(t, rule.HTTP, ing.Name)
				for _, p := range rule.HTTP.Paths {
					svc := o.service(t, p.Backend.Service.Name)
					assert.Equal(t, []string{"Deployment/" + api.Name}, matching(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, o.podLabels()))
					assert.True(t, slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
						return sp.Name == p.Backend.Service.Port.Name && sp.Name != "" || sp.Port == p.Backend.Service.Port.Number && sp.Port != 0
					}), "%s %s: port %v not on Service %s", ing.Name, p.Path, p.Backend.Service.Port, svc.Name)
					for _, internal := range []string{"/healthz", "/readyz", "/metrics"} {
						assert.False(t, routes(p, internal), "%s: path %s exposes %s", ing.Name, p.Path, internal)
					}
				}
			}
		}
	}},
	{"a nightly pg_dump to object storage, never two at once", func(t *testing.T, o *objects, _ overlay) {
		require.Len(t, o.cronJobs, 1)
		cj := o.cronJobs[0]
		assert.NotEmpty(t, cj.Spec.Schedule, cj.Name)
		assert.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy, cj.Name)
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		assert.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy, cj.Name)
		require.Len(t, pod.InitContainers, 1, "%s: the dump, finished before the upload", cj.Name)
		dump := pod.InitContainers[0]
		assert.Contains(t, strings.Join(dump.Args, " "), "pg_dump --format=custom", cj.Name)
		var url *corev1.EnvVar
		for i := range dump.Env {
			if dump.Env[i].Name == "DATABASE_URL" {
				url = &dump.Env[i]
			}
		}
		require.NotNil(t, url, "%s: DATABASE_URL", cj.Name)
		require.NotNil(t, url.ValueFrom, cj.Name)
		require.NotNil(t, url.ValueFrom.SecretKeyRef, cj.Name)
		assert.Equal(t, readSecretExample(t).Name, url.ValueFrom.SecretKeyRef.Name, "%s: the server's own DATABASE_URL", cj.Name)
		upload := onlyContainer(t, &pod)
		assert.Contains(t, strings.Join(upload.Args, " "), "aws s3 cp", cj.Name)
		for _, c := range allContainers(&pod) {
			tag := c.Image[strings.LastIndex(c.Image, "/")+1:]
			assert.Contains(t, tag, ":", "%s/%s: pinned image", cj.Name, c.Name)
		}
	}},
	{"network policies: deny by default, then open what each pod needs", func(t *testing.T, o *objects, _ overlay) {
		for name, pod := range o.podLabels() {
			var denyAll, egress bool
			var ingressPorts []int32
			for _, np := range o.policies {
				sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
				require.NoError(t, err)
				if !sel.Matches(labels.Set(pod)) {
					continue
				}
				if len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
					denyAll = true
				}
				if opensPorts(np.Spec.Egress, 53, 5432, 6379, 443) {
					egress = true
				}
				for _, rule := range np.Spec.Ingress {
					for _, p := range rule.Ports {
						ingressPorts = append(ingressPorts, p.Port.IntVal)
					}
				}
			}
			assert.True(t, denyAll, "%s: no default-deny policy", name)
			assert.True(t, egress, "%s: DNS, PostgreSQL, Redis and HTTPS egress", name)
			if !strings.HasPrefix(name, "Deployment/") {
				assert.Empty(t, ingressPorts, "%s: Jobs take no traffic", name)
			} else {
				assert.Equal(t, []int32{8080}, ingressPorts, "%s: ingress", name)
			}
		}
	}},
}

// TestOverlayInvariants runs every check against every kustomization.
func TestOverlayInvariants(t *testing.T) {
	t.Parallel()
	for _, want := range overlays {
		t.Run(want.dir, func(t *testing.T) {
			t.Parallel()
			o, err := build(want.dir)
			require.NoError(t, err)
			for _, c := range checks {
				t.Run(c.name, func(t *testing.T) { c.check(t, o, want) })
			}
		})
	}
}

// deployment is the one Deployment of the component (api or worker).
func (o *objects) deployment(t *testing.T, component string) *appsv1.Deployment {
	t.Helper()
	var found []*appsv1.Deployment
	for _, d := range o.deployments {
		if d.Labels["app.kubernetes.io/component"] == component {
			found = append(found, d)
		}
	}
	require.Len(t, found, 1, "Deployments of component %s", component)
	return found[0]
}

func (o *objects) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	for _, s := range o.services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no Service %s", name)
	return nil
}

// podSpecs are the pod templates of every Deployment, Job and CronJob,
// by Kind/name.
func (o *objects) podSpecs() map[string]*corev1.PodSpec {
	out := map[string]*corev1.PodSpec{}
	for _, d := range o.deployments {
		out["Deployment/"+d.Name] = &d.Spec.Template.Spec
	}
	for _, j := range o.jobs {
		out["Job/"+j.Name] = &j.Spec.Template.Spec
	}
	for _, c := range o.cronJobs {
		out["CronJob/"+c.Name] = &c.Spec.JobTemplate.Spec.Template.Spec
	}
	return out
}

// podLabels are the labels of the same pod templates.
func (o *objects) podLabels() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, d := range o.deployments {
		out["Deployment/"+d.Name] = d.Spec.Template.Labels
	}
	for _, j := range o.jobs {
		out["Job/"+j.Name] = j.Spec.Template.Labels
	}
	for _, c := range o.cronJobs {
		out["CronJob/"+c.Name] = c.Spec.JobTemplate.Spec.Template.Labels
	}
	return out
}

// env is the value a container sees for key: its env (the last entry
// wins), else its envFrom ConfigMaps (the last source wins), else the
// server's default. Secrets are not rendered, and TestSecretExample keeps
// their keys apart from the ConfigMap's.
func (o *objects) env(c *corev1.Container, key string) string {
	for _, e := range slices.Backward(c.Env) {
		if e.Name == key {
			return e.Value
		}
	}
	for _, from := range slices.Backward(c.EnvFrom) {
		if from.ConfigMapRef == nil || !strings.HasPrefix(key, from.Prefix) {
			continue
		}
		cm := o.configMaps[from.ConfigMapRef.Name]
		if cm == nil {
			continue // a missing ConfigMap fails its own check
		}
		if v, ok := cm.Data[strings.TrimPrefix(key, from.Prefix)]; ok {
			return v
		}
	}
	return configDefaults[key]
}

// matching names the pod templates a selector matches.
func matching(t *testing.T, selector *metav1.LabelSelector, templates map[string]map[string]string) []string {
	t.Helper()
	require.NotNil(t, selector)
	sel, err := metav1.LabelSelectorAsSelector(selector)
	require.NoError(t, err)
	require.False(t, sel.Empty(), "an empty selector matches every pod")
	var names []string
	for name, l := range templates {
		if sel.Matches(labels.Set(l)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func onlyContainer(t *testing.T, pod *corev1.PodSpec) *corev1.Container {
	t.Helper()
	require.Len(t, pod.Containers, 1)
	return &pod.Containers[0]
}

func allContainers(pod *corev1.PodSpec) []corev1.Container {
	return slices.Concat(pod.InitContainers, pod.Containers)
}

// containerPort resolves a probe's or Service's port (a number or a port
// name) against the container's ports.
func containerPort(t *testing.T, c *corev1.Container, port intstr.IntOrString) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if port.Type == intstr.String && p.Name == port.StrVal || port.Type == intstr.Int && p.ContainerPort == port.IntVal {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port %s", c.Name, port.String())
	return 0
}

// routes reports whether an Ingress path sends requests for path to its
// backend.
func routes(p networkingv1.HTTPIngressPath, path string) bool {
	switch {
	case p.PathType == nil:
		return true // implementation-specific: assume the worst
	case *p.PathType == networkingv1.PathTypeExact:
		return p.Path == path
	default:
		prefix := strings.TrimSuffix(p.Path, "/")
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
}

// opensPorts reports whether the egress rules allow every port to any
// destination.
func opensPorts(rules []networkingv1.NetworkPolicyEgressRule, ports ...int32) bool {
	open := map[int32]bool{}
	for _, r := range rules {
		if len(r.To) != 0 {
			continue
		}
		for _, p := range r.Ports {
			if p.Port != nil {
				open[p.Port.IntVal] = true
			}
		}
	}
	for _, p := range ports {
		if !open[p] {
			return false
		}
	}
	return true
}
