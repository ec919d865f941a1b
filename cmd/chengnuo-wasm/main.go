//go:build js && wasm

// Command chengnuo-wasm is the proof verifier (package proof) compiled to
// WebAssembly for the public verification page, so that a person's browser
// checks a proof bundle itself instead of trusting the server's word. It
// exports two functions to JavaScript:
//
//	chengnuoVerify(bundleJSON, genesisHex, letterText, applicantCAsPEM) -> JSON
//	  {"ok": true, "proven": bool, "report": {...}, "text": "..."} or {"ok": false, "check": "...", "reason": "..."}
//	  ("ok" with "proven" false: every check passed but no genesis hash was pinned)
//	chengnuoSM3(Uint8Array) -> hex digest (to hash a dropped file locally)
package main

import (
	"encoding/json"
	"errors"
	"syscall/js"

	"github.com/chengnuo/chengnuo/proof"
	"github.com/chengnuo/chengnuo/sm"
)

func verify(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return answer(map[string]any{"ok": false, "check": proof.CheckBundle, "reason": "no bundle"})
	}
	opt := proof.Options{}
	if len(args) > 1 && args[1].Type() == js.TypeString {
		opt.GenesisHash = args[1].String()
	}
	if len(args) > 2 && args[2].Type() == js.TypeString && args[2].String() != "" {
		opt.Letter = []byte(args[2].String())
	}
	if len(args) > 3 && args[3].Type() == js.TypeString && args[3].String() != "" {
		opt.ApplicantCAs = []byte(args[3].String())
	}
	b, err := proof.Parse([]byte(args[0].String()))
	var rep *proof.Report
	if err == nil {
		rep, err = proof.Verify(b, opt)
	}
	if f, ok := errors.AsType[*proof.Failure](err); ok {
		return answer(map[string]any{"ok": false, "check": f.Check, "reason": f.Reason})
	}
	if err != nil {
		return answer(map[string]any{"ok": false, "check": proof.CheckBundle, "reason": proof.Printable(err.Error())})
	}
	return answer(map[string]any{"ok": true, "proven": rep.Proven(), "report": rep, "text": proof.Describe(rep)})
}

func sm3(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return ""
	}
	buf := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(buf, args[0])
	return sm.SM3Hex(buf)
}

func answer(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func main() {
	js.Global().Set("chengnuoVerify", js.FuncOf(verify))
	js.Global().Set("chengnuoSM3", js.FuncOf(sm3))
	select {}
}
