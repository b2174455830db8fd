package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"idle_timeout", "banner", "filezilla-server", "vsftpd", "pure-ftpd", "proftpd"}
	for w, want := range map[string]string{
		"idle_timout":  "idle_timeout",
		"IdleTimeout":  "idle_timeout",
		"banenr":       "banner",
		"filezilla":    "filezilla-server",
		"vsftp":        "vsftpd",
		"pureftpd":     "pure-ftpd",
		"nothing-like": "",
	} {
		if got := Closest(w, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", w, got, want)
		}
	}
	if DidYouMean("vsftp", known) != ` (did you mean "vsftpd"?)` || DidYouMean("xyz", known) != "" {
		t.Error("DidYouMean")
	}
}
