package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus metrics.
type Metrics struct {
	reg           *prometheus.Registry
	Requests      *prometheus.CounterVec
	Latency       *prometheus.HistogramVec
	Stamps        prometheus.Counter
	Issued        prometheus.Counter
	StatusAnswers prometheus.Counter
	PageViews     prometheus.Counter
	Verifications *prometheus.CounterVec
}

// NewMetrics registers the metrics in a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eseal_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "code"})
	m.Latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "eseal_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.Stamps = prometheus.NewCounter(prometheus.CounterOpts{Name: "eseal_stamps_total", Help: "PDFs stamped."})
	m.Issued = prometheus.NewCounter(prometheus.CounterOpts{Name: "eseal_licenses_issued_total", Help: "Licenses issued."})
	m.StatusAnswers = prometheus.NewCounter(prometheus.CounterOpts{Name: "eseal_status_answers_total", Help: "Signed status answers served."})
	m.PageViews = prometheus.NewCounter(prometheus.CounterOpts{Name: "eseal_page_views_total", Help: "Citizen page views."})
	m.Verifications = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eseal_verifications_total", Help: "Verifications by kind and verdict."}, []string{"kind", "verdict"})
	m.reg.MustRegister(m.Requests, m.Latency, m.Stamps, m.Issued, m.StatusAnswers, m.PageViews, m.Verifications,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Wrap counts requests by route pattern (never by raw path, which would
// put identifiers in metric labels).
func (m *Metrics) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		h.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.Requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		m.Latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
