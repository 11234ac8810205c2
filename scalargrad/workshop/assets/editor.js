// The editor of a code cell: CodeMirror 6 with its Python mode (highlighting, indentation),
// loaded from editor/ through the page's import map. Tab indents; Esc then Tab leaves the
// editor (CodeMirror's own rule: after Esc, Tab moves focus for two seconds; Ctrl+M switches
// Tab to moving focus for good), so a keyboard user is never trapped. Shift+Enter and
// Ctrl+Enter run the cell (the page decides where the focus goes next). No soft wrap: a long
// line scrolls sideways, so on a phone a wrapped line never looks dedented.
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap, drawSelection, highlightActiveLine, highlightSpecialChars } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { python } from "@codemirror/lang-python";

// Colours are lesson.css's (tok-* classes), so the page's contrast is checked in one place.
export function makeEditor({ parent, doc, label, describedBy, onChange, onRun }) {
  const run = (how) => () => { onRun(how); return true; };
  return new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([
          { key: "Shift-Enter", run: run("next") },
          { key: "Ctrl-Enter", run: run("stay") },
          { key: "Mod-Enter", run: run("stay") },
        ])),
        history(),
        drawSelection(),
        highlightSpecialChars(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        python(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        syntaxHighlighting(classHighlighter),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        // tabindex states what a contenteditable already is (in the tab order), so that
        // axe's scrollable-region-focusable, which counts only native controls and elements
        // with a tabindex, sees the scroller's content as reachable by keyboard
        EditorView.contentAttributes.of({
          tabindex: "0", "aria-label": label, "aria-describedby": describedBy, "aria-multiline": "true",
          spellcheck: "false", autocapitalize: "off", autocorrect: "off",
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}

export function setCode(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
