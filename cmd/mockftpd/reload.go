package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// notifyHangup delivers SIGHUP to ch (on Windows it never comes).
func notifyHangup(ch chan<- os.Signal) { signal.Notify(ch, syscall.SIGHUP) }

// Hot reload polls the scenario file rather than using fsnotify: polling
// sees changes that inotify misses (bind mounts from Docker Desktop's VM,
// network filesystems, Kubernetes ConfigMaps swapped through a symbolic
// link, editors that replace the file), costs one stat every half second,
// and needs no dependency. A change must hold still for one interval
// before it is loaded, so a file caught half-written is not reported as
// broken.

// stamp identifies a version of the file.
type stamp struct {
	exists  bool
	size    int64
	modTime time.Time
	hash    [sha256.Size]byte
}

// watcher reloads the scenario file when it changes.
type watcher struct {
	path     string
	interval time.Duration
	logger   *slog.Logger
	load     func() (*scenario.Scenario, error)              // reads the file (and the -reply rules)
	apply    func(*scenario.Scenario) (server.Seeded, error) // puts a scenario in force

	stat     stamp // the last stat seen (hash unset)
	loaded   stamp // the content last loaded or tried
	pending  *stamp
	reported bool // a missing file was reported
}

func newWatcher(path string, interval time.Duration, logger *slog.Logger) *watcher {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	return &watcher{path: path, interval: interval, logger: logger}
}

// stampNow records the file as it is now, before the server loads it.
func (w *watcher) stampNow() {
	st, err := w.read()
	if err != nil {
		w.reported = errors.Is(err, fs.ErrNotExist) // the server says it at start
		return
	}
	w.loaded, w.stat = st, st
	w.stat.hash = [sha256.Size]byte{}
}

// read stats and hashes the file.
func (w *watcher) read() (stamp, error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		return stamp{}, err
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{exists: true, size: fi.Size(), modTime: fi.ModTime(), hash: sha256.Sum256(data)}, nil
}

// run checks the file every interval and reloads on a request from
// reload, until ctx ends.
func (w *watcher) run(ctx context.Context, reload <-chan struct{}) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
			w.logger.Info("SIGHUP: reloading the scenario", "file", w.path)
			w.reload(true)
		case <-t.C:
			w.reload(false)
		}
	}
}

// reload loads the file if it changed (or at once when forced).
func (w *watcher) reload(force bool) {
	fi, err := os.Stat(w.path)
	if err != nil {
		if !w.reported || force {
			w.reported = true
			if errors.Is(err, fs.ErrNotExist) {
				w.logger.Warn("scenario file missing; keeping the running scenario", "file", w.path)
			} else {
				w.logger.Warn("scenario file unreadable; keeping the running scenario", "file", w.path, "err", err)
			}
		}
		w.pending = nil
		return
	}
	w.reported = false
	// Unchanged size and time, and old enough that a write within the
	// filesystem's time granularity would have shown: nothing to do.
	now := time.Now()
	same := w.stat.exists && fi.Size() == w.stat.size && fi.ModTime().Equal(w.stat.modTime)
	if same && !force && w.pending == nil && now.Sub(fi.ModTime()) > 2*time.Second {
		return
	}
	st, err := w.read()
	if err != nil {
		return // it went away meanwhile: the next tick says so
	}
	w.stat = stamp{exists: true, size: st.size, modTime: st.modTime}
	if !force {
		if w.loaded.exists && bytes.Equal(st.hash[:], w.loaded.hash[:]) {
			w.pending = nil
			return
		}
		if w.pending == nil || !bytes.Equal(w.pending.hash[:], st.hash[:]) {
			w.pending = &st // let it settle for one interval
			return
		}
	}
	w.pending = nil
	w.loaded = st
	sc, err := w.load()
	var seeded server.Seeded
	if err == nil {
		seeded, err = w.apply(sc)
	}
	if err != nil {
		w.logger.Error("scenario reload failed; keeping the running scenario", "file", w.path, "err", err.Error())
		return
	}
	w.logger.Info("scenario reloaded; files not there yet were seeded, existing paths kept as they are (POST /api/reset restores every file)",
		"file", w.path, "name", sc.Name, "rules", len(sc.Rules), "files", len(sc.Files), "seeded", seeded.New, "kept", seeded.Kept)
}
