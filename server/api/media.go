package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/savannah-commerce/savannah/internal/media"
)

// mediaRoutes serves the file driver's signed uploads and the image
// objects themselves (when no CDN or bucket URL is in front: README
// "Product media").
func (s *Server) mediaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT "+media.UploadPath, s.mediaUpload)
	mux.HandleFunc("GET "+media.ServePath+"{key...}", s.mediaObject)
}

// mediaUpload stores the body of a PUT to a signed upload URL: the URL
// must be authentic and unexpired, the Content-Type the one signed, and
// the body at most the store's upload limit.
func (s *Server) mediaUpload(w http.ResponseWriter, r *http.Request) {
	st := s.svc.Media.Storage()
	key, contentType, err := st.UploadTarget(r.Context(), r.URL)
	if err != nil {
		http.Error(w, "invalid or expired upload URL", http.StatusForbidden)
		return
	}
	if r.Header.Get("Content-Type") != contentType {
		http.Error(w, "Content-Type must be "+contentType, http.StatusUnsupportedMediaType)
		return
	}
	limit := s.svc.Media.MaxBytes()
	if r.ContentLength > limit {
		http.Error(w, "file too large", http.StatusRequestEntityTooLarge)
		return
	}
	bw, err := st.Bucket.NewWriter(r.Context(), key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		s.log.ErrorContext(r.Context(), "media upload", slog.Any("err", err))
		http.Error(w, "upload failed", http.StatusInternalServerError)
		return
	}
	_, err = io.Copy(bw, http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		_ = bw.Close()
		_ = st.Bucket.Delete(r.Context(), key)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "file too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "upload failed", http.StatusBadRequest)
		return
	}
	if err := bw.Close(); err != nil {
		s.log.ErrorContext(r.Context(), "media upload", slog.Any("err", err))
		http.Error(w, "upload failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// mediaObject serves an original or a derivative. Keys name fixed bytes,
// so every answer may be cached forever.
func (s *Server) mediaObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !media.Public(key) {
		http.NotFound(w, r)
		return
	}
	rd, err := s.svc.Media.Storage().Bucket.NewReader(r.Context(), key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "media object", slog.Any("err", err))
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Type", rd.ContentType())
	h.Set("Content-Length", strconv.FormatInt(rd.Size(), 10))
	h.Set("Cache-Control", media.ImmutableCacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, rd)
}
