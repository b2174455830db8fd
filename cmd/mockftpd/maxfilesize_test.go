package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/server"
)

// TestMaxFileSizeFlag: -max-file-size and MOCKFTPD_MAX_FILE_SIZE set
// Config.MaxFileSize (default server.DefaultMaxFileSize), and a REST past
// it before STOR gets 552.
func TestMaxFileSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want int64
	}{
		{nil, nil, server.DefaultMaxFileSize},
		{[]string{"-max-file-size", "1MiB"}, nil, 1 << 20},
		{nil, map[string]string{"MOCKFTPD_MAX_FILE_SIZE": "2GiB"}, 2 << 30},
		{[]string{"-max-file-size", "100"}, map[string]string{"MOCKFTPD_MAX_FILE_SIZE": "2GiB"}, 100},
	} {
		f := newServeFlags(io.Discard)
		if err := f.parse(tc.args, envFrom(tc.env)); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.config(slog.New(slog.DiscardHandler))
		if err != nil || cfg.MaxFileSize != tc.want {
			t.Errorf("%v %v: MaxFileSize %d, %v; want %d", tc.args, tc.env, cfg.MaxFileSize, err, tc.want)
		}
	}
	for _, bad := range []string{"0", "-1", "lots"} {
		if err := newServeFlags(io.Discard).parse([]string{"-max-file-size", bad}, envFrom(nil)); err == nil {
			t.Errorf("-max-file-size %s accepted", bad)
		}
	}
	r := start(t, []string{"-listen", "127.0.0.1:0", "-max-file-size", "1KiB"}, nil)
	c := login(t, r.srv.Addr())
	if got := replyCode(c.StorFrom("/f", strings.NewReader("x"), 1025)); got != 552 {
		t.Errorf("REST past -max-file-size then STOR: %d, want 552", got)
	}
	if err := c.StorFrom("/f", strings.NewReader("x"), 1023); err != nil {
		t.Errorf("the last byte below the limit: %v", err)
	}
}
