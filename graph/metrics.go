package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/savannah-commerce/savannah/internal/logging"
)

// Operation labels of the metrics. A client chooses its operation names,
// so they are bounded: the first MaxOperationNames distinct names of
// operations that parsed and validated against the schema (and, with
// persisted queries only, every registered operation, known up front)
// are labels of their own; any other name is "other", and an operation
// without a name is "anonymous". A refused request whose document never
// validated (a persisted query that is not registered, a document over the
// token limit) never admits a new name. After a restart the first names
// win again, so a flood of made-up names can push a real one into "other"
// until then, but can never grow the label set.
const (
	MaxOperationNames    = 200
	maxOperationLabelLen = 64
	opLabelAnonymous     = "anonymous"
	opLabelOther         = "other"
	metricsExtension     = "metrics"
)

// operationMetrics is the extension that records, per operation: its
// count by name and type, its duration, its requested cost (what
// Protection measured, read from extensions.cost's stats, not computed
// again) and its errors by extensions.code.
type operationMetrics struct {
	operations *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	cost       *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	names      *operationNames
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = (*operationMetrics)(nil)

// newOperationMetrics registers the metrics with reg.
func newOperationMetrics(reg prometheus.Registerer, maxNames int) *operationMetrics {
	m := &operationMetrics{
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_graphql_operations_total",
			Help: "GraphQL operations by operation name and type (query, mutation, subscription; unknown when refused before parsing), refused ones included.",
		}, []string{"operation", "type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "savannah_graphql_operation_duration_seconds",
			Help:    "Time from a GraphQL request's arrival to its response, by operation name (subscriptions: to the first event).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
		cost: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "savannah_graphql_operation_requested_cost",
			Help:    "Requested (static) cost of GraphQL operations by operation name, as the cost limits and rate limits count it.",
			Buckets: []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_graphql_errors_total",
			Help: "Top-level GraphQL errors by operation name and extensions.code.",
		}, []string{"operation", "code"}),
		names: &operationNames{known: map[string]bool{}, max: maxNames},
	}
	reg.MustRegister(m.operations, m.duration, m.cost, m.errors)
	return m
}

// opState is what the extension keeps about one operation in its stats.
type opState struct {
	rawName    string // as the client sent it, before any extension ran
	dispatched bool   // InterceptOperation ran: it records the responses
	recorded   bool   // the operation was counted
}

// ExtensionName implements graphql.HandlerExtension.
func (*operationMetrics) ExtensionName() string { return "OperationMetrics" }

// Validate implements graphql.HandlerExtension.
func (*operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters keeps the name the client sent: a request
// refused by the extensions after this one (a persisted query that is not
// registered) never gets it into the operation context.
func (*operationMetrics) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(metricsExtension, &opState{rawName: params.OperationName})
	}
	return nil
}

// InterceptOperation records every response of an operation that runs,
// including the ones that fail before the response interceptors do (a
// subscription refused at subscribe time).
func (m *operationMetrics) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	st := state(opCtx)
	st.dispatched = true
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp != nil {
			m.record(opCtx, st, resp)
		}
		return resp
	}
}

// InterceptResponse records the responses of requests refused before they
// ran (parse, validation, cost and rate limits, persisted queries).
func (m *operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if !graphql.HasOperationContext(ctx) {
		m.record(nil, &opState{}, resp) // the body was not even a request
		return resp
	}
	opCtx := graphql.GetOperationContext(ctx)
	if st := state(opCtx); !st.dispatched {
		m.record(opCtx, st, resp)
	}
	return resp
}

func state(opCtx *graphql.OperationContext) *opState {
	if st, ok := opCtx.Stats.GetExtension(metricsExtension).(*opState); ok {
		return st
	}
	st := &opState{}
	opCtx.Stats.SetExtension(metricsExtension, st)
	return st
}

// record counts an operation at its first response, and the errors of
// every response.
func (m *operationMetrics) record(opCtx *graphql.OperationContext, st *opState, resp *graphql.Response) {
	name, typ := opLabelAnonymous, "unknown"
	if opCtx != nil {
		name, typ = m.label(opCtx, st)
	}
	if !st.recorded {
		st.recorded = true
		m.operations.WithLabelValues(name, typ).Inc()
		if opCtx != nil {
			if start := opCtx.Stats.OperationStart; !start.IsZero() {
				m.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
			}
			if stats, ok := opCtx.Stats.GetExtension(costExtension).(*CostStats); ok && stats.measured {
				m.cost.WithLabelValues(name).Observe(float64(stats.RequestedQueryCost))
			}
		}
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		m.errors.WithLabelValues(name, errorCodeLabel(code)).Inc()
	}
}

// label is the operation's name and type labels.
func (m *operationMetrics) label(opCtx *graphql.OperationContext, st *opState) (name, typ string) {
	if op := opCtx.Operation; op != nil {
		// Parsed and validated: the name is one of the document's.
		return m.names.label(op.Name, true), string(op.Operation)
	}
	name = opCtx.OperationName
	if name == "" {
		name = st.rawName
	}
	return m.names.label(name, false), "unknown"
}

// errorCodeLabel bounds a code label: codes are the server's own
// (contract codes, gqlgen's GRAPHQL_* ones), but nothing stops a future
// extension from writing free text there.
func errorCodeLabel(code string) string {
	if code == "" {
		return "NONE"
	}
	if len(code) > 40 {
		return opLabelOther
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c == '_' || c >= '0' && c <= '9') {
			return opLabelOther
		}
	}
	return code
}

// operationNames admits operation names as metric labels, up to max.
type operationNames struct {
	mu    sync.Mutex
	known map[string]bool
	max   int
}

// label returns name's label; admit lets an unknown, valid name take one
// of the free places.
func (n *operationNames) label(name string, admit bool) string {
	if name == "" {
		return opLabelAnonymous
	}
	if !validName(name) {
		return opLabelOther
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.known[name] {
		return name
	}
	if admit && len(n.known) < n.max {
		n.known[name] = true
		return name
	}
	return opLabelOther
}

// preload admits the names of the operations in docs (the persisted
// queries), so that traffic can never crowd them out.
func (n *operationNames) preload(docs map[string]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, d := range docs {
		doc, err := parser.ParseQuery(&ast.Source{Input: d})
		if err != nil {
			continue // LoadPersistedQueries' caller finds out when it runs
		}
		for _, op := range doc.Operations {
			if validName(op.Name) {
				n.known[op.Name] = true
			}
		}
	}
}

// validName reports a GraphQL name of at most maxOperationLabelLen
// characters.
func validName(s string) bool {
	if s == "" || len(s) > maxOperationLabelLen {
		return false
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// operationLog names the operation for the logs: on the request (the
// access log line) as soon as the client's parameters are read, and on the
// operation's context once it runs (each of a WebSocket's operations).
type operationLog struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationInterceptor
} = operationLog{}

// ExtensionName implements graphql.HandlerExtension.
func (operationLog) ExtensionName() string { return "OperationLog" }

// Validate implements graphql.HandlerExtension.
func (operationLog) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters names the request's operation as sent.
func (operationLog) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	logging.SetOperation(ctx, params.OperationName)
	return nil
}

// InterceptOperation names the running operation, by its name in the
// document when the client sent none.
func (operationLog) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	name := opCtx.OperationName
	if name == "" && opCtx.Operation != nil {
		name = opCtx.Operation.Name
	}
	if name == "" {
		return next(ctx)
	}
	return next(logging.WithOperation(ctx, name))
}

// SocketMetrics counts the GraphQL WebSockets of this process: open
// sockets and running subscriptions (gauges), sockets closed because
// their client read too slowly, and upgrades refused, by reason. A nil
// *SocketMetrics counts nothing.
type SocketMetrics struct {
	open          prometheus.Gauge
	subscriptions prometheus.Gauge
	slow          *prometheus.CounterVec
	refused       *prometheus.CounterVec
	executions    prometheus.Counter
}

// Reasons an upgrade is refused (RefusedUpgrade).
const (
	RefusedReplicaCap = "replica_cap" // WS_MAX_SOCKETS
	RefusedAddrCap    = "addr_cap"    // WS_MAX_SOCKETS_PER_ADDR
	RefusedShutdown   = "shutdown"
)

// NewSocketMetrics registers the socket metrics with reg (nil: none).
func NewSocketMetrics(reg prometheus.Registerer) *SocketMetrics {
	m := &SocketMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "savannah_websocket_open",
			Help: "GraphQL WebSockets open.",
		}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "savannah_websocket_subscriptions",
			Help: "GraphQL subscriptions running over WebSockets.",
		}),
		slow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_websocket_slow_consumer_closes_total",
			Help: "WebSockets closed because their client read too slowly, by reason (queue_full: send queue full, write_timeout: a write waited too long).",
		}, []string{"reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "savannah_websocket_refused_total",
			Help: "WebSocket upgrades refused, by reason (replica_cap, addr_cap, shutdown).",
		}, []string{"reason"}),
		executions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "savannah_subscription_executions_total",
			Help: "Subscription events executed (selection set resolved and encoded); the sockets of one operation and viewer share one per event.",
		}),
	}
	for _, r := range []string{"queue_full", "write_timeout"} {
		m.slow.WithLabelValues(r)
	}
	for _, r := range []string{RefusedReplicaCap, RefusedAddrCap, RefusedShutdown} {
		m.refused.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.open, m.subscriptions, m.slow, m.refused, m.executions)
	}
	return m
}

func (m *SocketMetrics) socketOpened() {
	if m != nil {
		m.open.Inc()
	}
}

func (m *SocketMetrics) socketClosed() {
	if m != nil {
		m.open.Dec()
	}
}

func (m *SocketMetrics) subscriptionStarted() {
	if m != nil {
		m.subscriptions.Inc()
	}
}

func (m *SocketMetrics) subscriptionEnded() {
	if m != nil {
		m.subscriptions.Dec()
	}
}

func (m *SocketMetrics) executed() {
	if m != nil {
		m.executions.Inc()
	}
}

func (m *SocketMetrics) slowConsumer(reason string) {
	if m != nil {
		m.slow.WithLabelValues(reason).Inc()
	}
}

// RefusedUpgrade counts one upgrade refused for reason.
func (m *SocketMetrics) RefusedUpgrade(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}
