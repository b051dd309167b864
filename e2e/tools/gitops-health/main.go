// Command gitops-health tells how the two GitOps tools judge the health of a Kubernetes object:
// Flux, through its kstatus library (github.com/fluxcd/cli-utils/pkg/kstatus/status, what
// kustomize-controller's health checks and `wait: true` use), and Argo CD, through a resource
// health Lua script run by gopher-lua, the interpreter Argo CD embeds.
//
//	gitops-health [-argocd-lua FILE] < object.json
//
// Reads one object (JSON) on stdin and prints one JSON line:
//
//	{"kstatus":{"status":"Current","message":"..."},"argocd":{"status":"Healthy","message":"..."}}
//
// "argocd" is present only with -argocd-lua. As in Argo CD, the script sees the object as the
// global table `obj` and returns a table with `status` and `message`.
// Exit status: 0 on success, 2 on bad input or a failing script.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	script := flag.String("argocd-lua", "", "Argo CD resource health Lua script to run on the object")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(in); err != nil {
		fail("not a Kubernetes object: %v", err)
	}
	out := map[string]verdict{}
	res, err := status.Compute(u)
	if err != nil {
		fail("kstatus: %v", err)
	}
	out["kstatus"] = verdict{Status: res.Status.String(), Message: res.Message}
	if *script != "" {
		v, err := argocd(*script, u.Object)
		if err != nil {
			fail("argocd health script: %v", err)
		}
		out["argocd"] = v
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}

// argocd runs the script the way Argo CD's resource health customizations do: `obj` is the
// object, the script's return value is a table with status and message.
func argocd(file string, obj map[string]interface{}) (verdict, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return verdict{}, err
	}
	l := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer l.Close()
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(string(src)); err != nil {
		return verdict{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return verdict{}, fmt.Errorf("script returned %s, not a table", l.Get(-1).Type())
	}
	return verdict{
		Status:  lua.LVAsString(ret.RawGetString("status")),
		Message: lua.LVAsString(ret.RawGetString("message")),
	}, nil
}

// toLua converts decoded JSON to Lua values: objects and arrays become tables (arrays 1-based),
// numbers LNumber, strings LString, booleans LBool, null nil.
func toLua(l *lua.LState, v interface{}) lua.LValue {
	switch t := v.(type) {
	case map[string]interface{}:
		tb := l.NewTable()
		for k, e := range t {
			tb.RawSetString(k, toLua(l, e))
		}
		return tb
	case []interface{}:
		tb := l.NewTable()
		for _, e := range t {
			tb.Append(toLua(l, e))
		}
		return tb
	case string:
		return lua.LString(t)
	case bool:
		return lua.LBool(t)
	case int64:
		return lua.LNumber(t)
	case float64:
		return lua.LNumber(t)
	case json.Number:
		f, _ := t.Float64()
		return lua.LNumber(f)
	case nil:
		return lua.LNil
	default:
		return lua.LString(fmt.Sprint(t))
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gitops-health: "+format+"\n", args...)
	os.Exit(2)
}
