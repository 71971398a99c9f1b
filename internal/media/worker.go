package media

import (
	"bytes"
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"gocloud.dev/blob"

	"github.com/savannah-commerce/savannah/ent"
	entmedia "github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// DeriveArgs is the job that makes an image's derivatives.
type DeriveArgs struct {
	MediaID int `json:"media_id"`
}

// Kind implements river.JobArgs.
func (DeriveArgs) Kind() string { return "media_derive" }

// Worker runs DeriveArgs jobs.
type Worker struct {
	river.WorkerDefaults[DeriveArgs]
	svc *Service
}

// NewWorker returns the worker of svc's derivative jobs.
func NewWorker(svc *Service) *Worker { return &Worker{svc: svc} }

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeriveArgs]) error {
	return w.svc.Derive(ctx, job.Args.MediaID)
}

// Derive makes the derivatives of image id, writes them under their
// content-addressed keys and marks the image READY with its upright size,
// widths and placeholder. A deleted image is done; an original that will
// not decode marks the image FAILED (its original stays served); a
// storage failure is returned, for River to retry.
func (s *Service) Derive(ctx context.Context, id int) error {
	ctx = viewer.System(ctx, "media: make an image's derivatives")
	m, err := s.cfg.Client.Media.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("media: derive: %w", err)
	}
	if m.DerivativeStatus == entmedia.DerivativeStatusREADY {
		return nil
	}
	b := s.cfg.Storage.Bucket
	r, err := b.NewReader(ctx, originalKey(m.ContentHash), nil)
	if err != nil {
		return fmt.Errorf("media: read original: %w", err)
	}
	d, err := Derive(r)
	_ = r.Close()
	if err != nil {
		s.cfg.Log.WarnContext(ctx, "media: original will not decode", "media_id", id, "err", err)
		return s.cfg.Client.Media.UpdateOneID(id).SetDerivativeStatus(entmedia.DerivativeStatusFAILED).Exec(ctx)
	}
	var widths []int
	for _, v := range d.Derivatives {
		opts := &blob.WriterOptions{ContentType: v.Format.MIME(), CacheControl: ImmutableCacheControl}
		if err := b.Upload(ctx, derivedKey(m.ContentHash, v.Width, v.Format), bytes.NewReader(v.Bytes), opts); err != nil {
			return fmt.Errorf("media: write derivative: %w", err)
		}
		if v.Format == JPEG {
			widths = append(widths, v.Width)
		}
	}
	err = s.cfg.Client.Media.UpdateOneID(id).
		SetDerivativeStatus(entmedia.DerivativeStatusREADY).
		SetDerivativeWidths(widths).
		SetWidth(d.Width).
		SetHeight(d.Height).
		SetPlaceholder(d.Placeholder).
		Exec(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	return err
}

// ImmutableCacheControl is sent with every image: its key names fixed
// bytes.
const ImmutableCacheControl = "public, max-age=31536000, immutable"

// URL is the address of image m at most maxWidth pixels wide (0: the
// largest) in format f (JPEG or WEBP; zero: JPEG): its derivative at the
// width SnapWidth picks, or the original until derivatives exist.
func (s *Service) URL(m *ent.Media, maxWidth int, f Format) string {
	if m.DerivativeStatus != entmedia.DerivativeStatusREADY || len(m.DerivativeWidths) == 0 {
		return s.cfg.PublicURL + originalKey(m.ContentHash)
	}
	if f != WEBP {
		f = JPEG
	}
	return s.cfg.PublicURL + derivedKey(m.ContentHash, SnapWidth(m.DerivativeWidths, maxWidth), f)
}
