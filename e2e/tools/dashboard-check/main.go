// Command dashboard-check validates Grafana dashboard JSON files against the dashboard schema of
// Grafana's own Foundation SDK (github.com/grafana/grafana-foundation-sdk, generated from Grafana's
// CUE schemas): each file is strictly unmarshalled into dashboard.Dashboard (unknown or mistyped
// fields anywhere in the dashboard, its variables, panels, their options and field configs, and
// their Prometheus queries are errors) and checked with the SDK's Validate. In addition every
// panel must be of a type the SDK knows and every query must parse as a Prometheus query.
//
//	dashboard-check FILE.json...
//
// Prints one line per file ("ok FILE" or the errors) and exits 1 when any file fails.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// failure is err unless it is an empty cog.BuildErrors: the SDK's generated methods return their
// error list as an error even when it holds nothing (a non-nil interface around a nil slice).
func failure(err error) error {
	if be, ok := err.(cog.BuildErrors); ok && len(be) == 0 {
		return nil
	}
	return err
}

func check(path string) []string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var d dashboard.Dashboard
	if err := failure(d.UnmarshalJSONStrict(raw)); err != nil {
		return []string{"schema: " + err.Error()}
	}
	var problems []string
	if err := failure(d.Validate()); err != nil {
		problems = append(problems, "validate: "+err.Error())
	}
	var panels []dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			panels = append(panels, *p.Panel)
		}
		if p.RowPanel != nil {
			panels = append(panels, p.RowPanel.Panels...)
		}
	}
	for _, p := range panels {
		title := ""
		if p.Title != nil {
			title = *p.Title
		}
		if _, ok := cog.ConfigForPanelcfgVariant(p.Type); !ok {
			problems = append(problems, fmt.Sprintf("panel %q: unknown panel type %q", title, p.Type))
		}
		for i, t := range p.Targets {
			if _, ok := t.(*prometheus.Dataquery); !ok {
				problems = append(problems, fmt.Sprintf("panel %q: target %d is not a Prometheus query (%T)", title, i, t))
			}
		}
	}
	return problems
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dashboard-check FILE.json...")
		os.Exit(2)
	}
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, path := range os.Args[1:] {
		problems := check(path)
		if len(problems) == 0 {
			fmt.Println("ok", path)
			continue
		}
		failed = true
		for _, p := range problems {
			out, _ := json.Marshal(p)
			fmt.Printf("FAIL %s: %s\n", path, out)
		}
	}
	if failed {
		os.Exit(1)
	}
}
