package media

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/savannah-commerce/savannah/ent"
	entmedia "github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// SweepEvery is the period of the media_sweep task.
const SweepEvery = time.Hour

// sweepBatch is how many content hashes one query checks.
const sweepBatch = 500

// Sweep deletes the objects no image needs: staged uploads older than
// StagingRetention at now (an attach deletes its own, so these were never
// attached), and originals and derivatives whose content hash no Media
// row names (deleted or replaced images). It returns how many objects it
// deleted; it is the periodic task media_sweep.
//
// An attach writes its original before its transaction and commits the
// row under the same per-hash lock (lockHash) that Sweep holds while it
// checks a hash is unreferenced and deletes its objects. So either the
// sweep comes first, and the attach, which checks its original after
// committing, writes it again; or the row comes first, and the sweep sees
// it. The sweep holds that transaction across a few storage deletes: it
// is a background task, one hash at a time, and only an attach of that
// very content waits.
func (s *Service) Sweep(ctx context.Context, now time.Time) (int, error) {
	ctx = viewer.System(ctx, "media: sweep objects no image names")
	b := s.cfg.Storage.Bucket
	deleted := 0
	cutoff := now.Add(-s.cfg.StagingRetention)
	staged, err := list(ctx, b, &blob.ListOptions{Prefix: stagingPrefix})
	if err != nil {
		return deleted, err
	}
	for _, obj := range staged {
		if obj.ModTime.Before(cutoff) {
			if err := deleteObject(ctx, b, obj.Key); err != nil {
				return deleted, err
			}
			deleted++
		}
	}

	hashes, err := storedHashes(ctx, b)
	if err != nil {
		return deleted, err
	}
	for len(hashes) > 0 {
		batch := hashes[:min(sweepBatch, len(hashes))]
		hashes = hashes[len(batch):]
		named, err := s.cfg.Client.Media.Query().Where(entmedia.ContentHashIn(batch...)).
			Unique(true).Select(entmedia.FieldContentHash).Strings(ctx)
		if err != nil {
			return deleted, fmt.Errorf("media: sweep: %w", err)
		}
		inUse := make(map[string]bool, len(named))
		for _, h := range named {
			inUse[h] = true
		}
		for _, h := range batch {
			if inUse[h] {
				continue
			}
			n, err := s.sweepHash(ctx, h)
			deleted += n
			if err != nil {
				return deleted, err
			}
		}
	}
	if deleted > 0 {
		s.cfg.Log.InfoContext(ctx, "media: swept unused objects", slog.Int("objects", deleted))
	}
	return deleted, nil
}

// sweepHash deletes the original and derivatives of hash if, under the
// hash's lock, no row names it.
func (s *Service) sweepHash(ctx context.Context, hash string) (int, error) {
	b := s.cfg.Storage.Bucket
	deleted := 0
	err := database.InTx(ctx, s.cfg.Client, func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		if err := s.lockHash(ctx, c, hash); err != nil {
			return err
		}
		used, err := c.Media.Query().Where(entmedia.ContentHash(hash)).Exist(ctx)
		if err != nil || used {
			return err
		}
		keys := []string{originalKey(hash)}
		derived, err := list(ctx, b, &blob.ListOptions{Prefix: derivedPrefix + hash + "/"})
		if err != nil {
			return err
		}
		for _, obj := range derived {
			keys = append(keys, obj.Key)
		}
		for _, k := range keys {
			if err := deleteObject(ctx, b, k); err != nil {
				return err
			}
			deleted++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("media: sweep %s: %w", hash, err)
	}
	return deleted, nil
}

// storedHashes lists the content hashes that have an original or
// derivatives in the bucket.
func storedHashes(ctx context.Context, b *blob.Bucket) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if len(h) == 64 && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, prefix := range []string{originalPrefix, derivedPrefix} {
		objs, err := list(ctx, b, &blob.ListOptions{Prefix: prefix, Delimiter: "/"})
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			add(strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
		}
	}
	return out, nil
}

// list lists the objects opts selects. An object deleted while it is
// listed (by a sweep beside this one) can fail a directory's listing:
// the listing then starts again.
func list(ctx context.Context, b *blob.Bucket, opts *blob.ListOptions) ([]*blob.ListObject, error) {
	for attempt := 0; ; attempt++ {
		var out []*blob.ListObject
		it := b.List(opts)
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if gcerrors.Code(err) == gcerrors.NotFound && attempt < 5 {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("media: list %s: %w", opts.Prefix, err)
			}
			out = append(out, obj)
		}
	}
}

func deleteObject(ctx context.Context, b *blob.Bucket, key string) error {
	if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	return nil
}

// lockHash serialises, until the transaction ends, the attaches and
// sweeps of one content hash: a transaction-scoped advisory lock on
// PostgreSQL; SQLite has a single writer and a single connection, so it
// needs nothing more.
func (s *Service) lockHash(ctx context.Context, c *ent.Client, hash string) error {
	if s.cfg.Dialect != dialect.Postgres {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("media:" + hash))
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("media: lock %s: %w", hash, err)
	}
	return nil
}
