package web

import (
	"net/http"
)

// registerRoutes lists every page and action with the permission it needs.
// Only /login and the static files are reachable without a session.
func (s *Server) registerRoutes() {
	static := http.StripPrefix("/static/", http.FileServerFS(staticFS()))
	s.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(w, r)
	}))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginSubmit)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })

	s.handle("POST /logout", permView, s.logoutSubmit)
	s.handle("GET /password", permView, s.passwordPage)
	s.handle("POST /password", permView, s.passwordSubmit)

	s.handle("GET /{$}", permView, s.overview)

	s.handle("GET /devices", permView, s.devicesPage)
	s.handle("GET /devices/{id}", permView, s.devicePage)
	s.handle("POST /devices/enroll", permAdmin, s.enrollUpload)
	s.handle("POST /devices/enroll/confirm", permAdmin, s.enrollConfirm)
	s.handle("POST /devices/{id}/revoke", permAdmin, s.revokeSubmit)
	s.handle("GET /trust.zft", permAdmin, s.trustDownload)
	s.handle("GET /devices/{id}/receipt", permReview, s.receiptDownload)
	s.handle("POST /devices/{id}/down", permReview, s.downDownload)
	s.handle("GET /devices/{id}/down/{seq}", permReview, s.downResend)

	s.handle("GET /bundles", permView, s.bundlesPage)
	s.handle("POST /bundles/import", permReview, s.bundlesImport)

	s.handle("GET /quarantine", permView, s.quarantinePage)
	s.handle("GET /quarantine/{id}", permReview, s.quarantineDetail)
	s.handle("POST /quarantine/{id}/{action}", permAdmin, s.quarantineDecide)

	s.handle("GET /conflicts", permView, s.conflictsPage)
	s.handle("GET /conflicts/{id}", permView, s.conflictPage)
	s.handle("POST /conflicts/{id}", permReview, s.conflictResolve)

	s.handle("GET /enterprises", permView, s.enterprisesPage)
	s.handle("POST /enterprises/import", permReview, s.rosterImport)
	s.handle("POST /enterprises/assign", permReview, s.assignSubmit)

	s.handle("GET /visits", permView, s.visitsPage)
	s.handle("GET /visits/{id}", permView, s.visitPage)
	s.handle("GET /visits/{id}/pdf", permView, s.visitPDF)
	s.handle("GET /visits/{id}/review", permView, s.reviewPage)
	s.handle("POST /visits/{id}/review", permReview, s.reviewSubmit)
	s.handle("GET /reviews", permView, s.reviewsPage)

	s.handle("GET /ledger", permView, s.ledgerPage)
	s.handle("GET /ledger.xlsx", permView, s.ledgerXLSX)
	s.handle("GET /ledger/{id}", permView, s.ledgerItemPage)
	s.handle("POST /ledger/{id}", permReview, s.ledgerAssess)
	s.handle("POST /ledger/{id}/followup", permReview, s.ledgerFollowUp)

	s.handle("GET /stats", permView, s.statsPage)
	s.handle("GET /stats/summary.pdf", permView, s.statsPDF)
	s.handle("GET /stats/city.xlsx", permView, s.statsXLSX)

	s.handle("GET /audit", permView, s.auditPage)
	s.handle("GET /audit.xlsx", permView, s.auditXLSX)

	s.handle("GET /accounts", permAdmin, s.accountsPage)
	s.handle("POST /accounts", permAdmin, s.accountCreate)
	s.handle("POST /accounts/{name}/{action}", permAdmin, s.accountAction)
	s.handle("GET /settings", permAdmin, s.settingsPage)
	s.handle("POST /settings", permAdmin, s.settingsSubmit)
	s.handle("POST /settings/trust", permAdmin, s.trustRenew)

	s.registerPublishRoutes() // h_forms.go: 表单 and 活动
}
