// The plan editor: CodeMirror 6 with Lua highlighting, and the server's validator as its linter: while the
// author types (debounced), the source goes to POST /plans/validate and each problem comes back as an
// inline diagnostic at its line and column (underlined, with a gutter mark and the hint on hover). Tab
// moves focus out of the editor as anywhere else (indent with Ctrl-] / Ctrl-[), so it is keyboard reachable.
import { defaultKeymap, history, historyKeymap, indentLess, indentMore } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { lua } from "@codemirror/legacy-modes/mode/lua";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import { EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import type { Problem, ValidationReport } from "../api/schema.gen";

/** A problem's line and column (1-based) as a range in the document: from the column to the end of the word there. */
export function problemRange(doc: Text, line: number, column: number): { from: number; to: number } {
  const l = doc.line(Math.min(Math.max(1, line || 1), doc.lines));
  const from = l.from + Math.min(Math.max(0, (column || 1) - 1), l.length);
  let to = from;
  const text = l.text;
  while (to < l.to && /[\w.'"-]/.test(text[to - l.from] ?? "")) to++;
  if (to === from) to = Math.min(l.to, from + 1);
  return { from, to };
}

export function toDiagnostics(doc: Text, problems: Problem[]): Diagnostic[] {
  return problems.map((p) => {
    const r = problemRange(doc, p.line, p.column);
    return { ...r, severity: "error", source: p.code, message: p.hint ? `${p.message} (${p.hint})` : p.message };
  });
}

export interface LuaEditorProps {
  value: string;
  onChange?: (source: string) => void;
  /** Validate the source (the server's validator); omitted for a read-only view. */
  validate?: (source: string) => Promise<ValidationReport>;
  /** Each report as it comes (for the problem list and the wave graph). */
  onReport?: (r: ValidationReport | null, error: unknown) => void;
  readOnly?: boolean;
  label: string;
  /** Move the cursor here (line, column) when it changes. */
  focus?: { line: number; column: number; n: number } | null;
}

export function LuaEditor({ value, onChange, validate, onReport, readOnly, label, focus }: LuaEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const cb = useRef({ onChange, validate, onReport });
  cb.current = { onChange, validate, onReport };

  useEffect(() => {
    const extensions = [
      lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), history(), bracketMatching(), indentOnInput(),
      StreamLanguage.define(lua), syntaxHighlighting(defaultHighlightStyle),
      keymap.of([...defaultKeymap, ...historyKeymap, { key: "Mod-]", run: indentMore }, { key: "Mod-[", run: indentLess }]),
      EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
      EditorState.readOnly.of(!!readOnly), EditorView.editable.of(!readOnly),
      EditorView.updateListener.of((u) => { if (u.docChanged) cb.current.onChange?.(u.state.doc.toString()); }),
      lintGutter(),
    ];
    if (cb.current.validate && !readOnly) {
      extensions.push(linter(async (v) => {
        const doc = v.state.doc;
        try {
          const report = await cb.current.validate!(doc.toString());
          cb.current.onReport?.(report, null);
          return toDiagnostics(doc, report.problems);
        } catch (e) {
          cb.current.onReport?.(null, e);
          return [];
        }
      }, { delay: 400 }));
    }
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions }) });
    view.current = v;
    return () => { v.destroy(); view.current = null; };
    // the editor is made once per mode; value changes from outside go through the effect below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly, label]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v || !focus) return;
    const r = problemRange(v.state.doc, focus.line, focus.column);
    v.dispatch({ selection: { anchor: r.from, head: r.to }, scrollIntoView: true });
    v.focus();
  }, [focus]);

  return <div className="editor-frame" ref={host} data-testid="plan-editor" />;
}
