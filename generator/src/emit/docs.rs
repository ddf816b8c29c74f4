//! Spec text → Markdown for rustdoc and READMEs that renders well and never produces rustdoc
//! warnings or doctests. Every piece of spec or config text that reaches generated output as
//! documentation goes through one of [`sanitize`] (blocks), [`inline`] (one line of prose) or
//! [`code_span`] (a name or path shown as code). All three first [`clean`] the text.
//!
//! - Fenced blocks (backticks or tildes, any info string: `rust`, `ignore`, none...) become
//!   `text` blocks; every other line is dedented, so indented code blocks cannot exist either.
//!   No doctest can come from spec text.
//! - Control characters, bidirectional overrides, isolates and marks (U+202A..U+202E,
//!   U+2066..U+2069, U+200E, U+200F, U+061C) and the byte order mark are removed; CR, CRLF and
//!   the Unicode line and paragraph separators become line feeds.
//! - Stray brackets and angle brackets are escaped, bare URLs become autolinks, links into the
//!   spec author's code become plain text.
//!
//! The results go into `#[doc = "..."]` string literals built by `quote!`, so no text can close
//! the attribute or add another one.

/// The API's name in prose: the spec's title, or the config's `name` when the spec gives none.
pub fn api_title<'a>(api: &'a crate::ir::Api, name: &'a str) -> &'a str {
    if api.title.trim().is_empty() { name } else { &api.title }
}

/// The first sentence of a generated crate's docs: "`what` of the TITLE, generated from its release
/// V." as one line
/// of escaped Markdown. Every crate kind starts its docs with it.
pub fn crate_intro(what: &str, api: &crate::ir::Api, name: &str) -> String {
    let mut intro = format!("{what} of the {}", inline(api_title(api, name)));
    let version = inline(&api.version);
    if !version.is_empty() {
        intro.push_str(&format!(", generated from its release {version}"));
    }
    intro.push('.');
    intro
}

/// Removes characters that must never reach generated files (see the module docs) and turns
/// every line break into `\n`.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push_str("    "),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line of prose (a title, a version): cleaned, line breaks become spaces, markup escaped.
pub fn inline(text: &str) -> String {
    let cleaned = clean(text);
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    escape_inline(&words.join(" "))
}

/// A name or path as an inline code span, safe in a Markdown table cell: cleaned, on one line,
/// delimited by more backticks than it contains in a row, with `|` escaped.
pub fn code_span(text: &str) -> String {
    let cleaned = clean(text);
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let one_line = words.join(" ").replace('|', "\\|");
    if one_line.is_empty() {
        return "(empty)".to_owned();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// True for a line that opens a fenced code block: a run of three or more backticks or tildes
/// (a backtick fence's info string holds no backtick).
fn is_fence(trimmed: &str) -> bool {
    for marker in ['`', '~'] {
        let run = trimmed.chars().take_while(|&c| c == marker).count();
        if run >= 3 {
            return marker == '~' || !trimmed.get(run..).unwrap_or_default().contains('`');
        }
    }
    false
}

/// Rewrites a description for use as rustdoc.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for raw_line in clean(text).lines() {
        let line = raw_line.trim_end();
        let trimmed = line.trim_start();
        if is_fence(trimmed) || (in_fence && (trimmed.starts_with("```") || trimmed.starts_with("~~~"))) {
            if in_fence {
                out.push_str("```");
            } else {
                out.push_str("```text");
            }
            in_fence = !in_fence;
        } else if in_fence {
            out.push_str(line);
        } else {
            out.push_str(&escape_inline(trimmed));
        }
        out.push('\n');
    }
    if in_fence {
        out.push_str("```\n");
    }
    // Collapse runs of blank lines and trim the ends.
    let mut collapsed = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.trim().lines() {
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        collapsed.push_str(line);
        collapsed.push('\n');
    }
    collapsed.trim_end().to_owned()
}

/// Escapes one line outside code fences, leaving inline code spans alone.
fn escape_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '`' {
            // Copy the whole code span, if it is closed on this line.
            let run = tail(&chars, i).iter().take_while(|&&c| c == '`').count();
            let fence: String = std::iter::repeat_n('`', run).collect();
            let rest: String = tail(&chars, i + run).iter().collect();
            if let Some(span) = rest.find(&fence).and_then(|end| rest.get(..end)) {
                out.push_str(&fence);
                out.push_str(span);
                out.push_str(&fence);
                i += run + span.chars().count() + run;
                continue;
            }
            out.push_str("\\`");
            i += 1;
            continue;
        }
        match c {
            '[' => {
                if let Some(close) = matching_bracket(&chars, i) {
                    if chars.get(close + 1) == Some(&'(') {
                        if let Some(end) = matching_paren(&chars, close + 1) {
                            let target: String = span(&chars, close + 2, end).iter().collect();
                            let text: String = span(&chars, i + 1, close).iter().collect();
                            if is_url(&target) {
                                // A real link: keep it, escaping only its text.
                                out.push('[');
                                out.push_str(&escape_inline(&text));
                                out.push_str("](");
                                out.push_str(&target);
                                out.push(')');
                            } else {
                                // A link into the spec author's own code base would be a broken
                                // intra-doc link here: keep the text only.
                                out.push_str(&escape_inline(&text));
                            }
                            i = end + 1;
                            continue;
                        }
                    }
                }
                out.push_str("\\[");
            }
            // Links were consumed whole at their `[`; any other bracket is text.
            ']' => out.push_str("\\]"),
            '<' => {
                let rest: String = tail(&chars, i + 1).iter().take(8).collect();
                if rest.starts_with("http://") || rest.starts_with("https:/") {
                    out.push('<');
                } else {
                    out.push_str("&lt;");
                }
            }
            'h' if starts_url(&chars, i) && !preceded_by_link_syntax(&chars, i) => {
                let end = url_end(&chars, i);
                out.push('<');
                out.extend(span(&chars, i, end));
                out.push('>');
                i = end;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// How far a link's closing bracket or parenthesis is looked for, so that a line of many
/// unmatched brackets stays linear.
const LINK_SCAN: usize = 2048;

/// `chars[from..]`, empty past the end.
fn tail(chars: &[char], from: usize) -> &[char] {
    chars.get(from..).unwrap_or_default()
}

/// `chars[from..to]`, empty when out of range.
fn span(chars: &[char], from: usize, to: usize) -> &[char] {
    chars.get(from..to).unwrap_or_default()
}

fn matching_bracket(chars: &[char], open: usize) -> Option<usize> {
    matching(chars, open, '[', ']')
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    matching(chars, open, '(', ')')
}

/// The index of the `close` that matches the `open_char` at `open`, within [`LINK_SCAN`].
fn matching(chars: &[char], open: usize, open_char: char, close: char) -> Option<usize> {
    let mut depth = 0;
    for (j, &c) in chars.iter().enumerate().skip(open).take(LINK_SCAN) {
        if c == open_char {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

fn is_url(target: &str) -> bool {
    let target = target.trim();
    target.contains("://") || target.starts_with("mailto:") || target.starts_with('#')
}

fn starts_url(chars: &[char], i: usize) -> bool {
    let rest: String = tail(chars, i).iter().take(8).collect();
    rest.starts_with("http://") || rest.starts_with("https://")
}

fn preceded_by_link_syntax(chars: &[char], i: usize) -> bool {
    i.checked_sub(1).and_then(|j| chars.get(j)).is_some_and(|c| matches!(c, '<' | '(' | '"' | '\''))
}

fn url_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while chars.get(end).is_some_and(|c| !c.is_whitespace() && !matches!(c, '>' | '<' | '"' | ')' | '`')) {
        end += 1;
    }
    while end > start
        && end.checked_sub(1).and_then(|j| chars.get(j)).is_some_and(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?'))
    {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::{clean, code_span, inline, sanitize};

    #[test]
    fn neutralises_code_blocks_and_markup() {
        assert_eq!(sanitize("```\nlet x = 1;\n```"), "```text\nlet x = 1;\n```");
        assert_eq!(sanitize("a\n    indented"), "a\nindented");
        assert_eq!(sanitize("see [docs](https://x.io) or [1]"), "see [docs](https://x.io) or \\[1\\]");
        assert_eq!(sanitize("List<String> and <b>"), "List&lt;String> and &lt;b>");
        assert_eq!(sanitize("go to https://api.mews.com."), "go to <https://api.mews.com>.");
        assert_eq!(sanitize("`a[0] <b>` stays"), "`a[0] <b>` stays");
        assert_eq!(sanitize("x\n\n\n\ny"), "x\n\ny");
        assert_eq!(sanitize("a [`Disk`](omicron::Disk) b"), "a `Disk` b");
        assert_eq!(sanitize("[see [1]](https://x.io/a_(b))"), "[see \\[1\\]](https://x.io/a_(b))");
    }

    #[test]
    fn no_fence_keeps_its_info_string() {
        for (open, close) in [
            ("```rust", "```"),
            ("```", "```"),
            ("``` ignore", "```"),
            ("```should_panic", "```"),
            ("~~~", "~~~"),
            ("~~~rust", "~~~"),
            ("````rust", "````"),
            ("  ```rust", "  ```"),
        ] {
            let out = sanitize(&format!("a\n{open}\nfn main() {{ panic!() }}\n{close}\nb"));
            let fences: Vec<&str> = out.lines().filter(|l| l.starts_with("```") || l.starts_with("~~~")).collect();
            assert_eq!(fences, ["```text", "```"], "{open}: {out}");
        }
        // An unclosed fence is closed; a fence opener inside a line is not a fence.
        assert_eq!(sanitize("```rust\nx"), "```text\nx\n```");
        assert_eq!(sanitize("```rust x``` y"), "```rust x``` y");
        assert_eq!(sanitize("- ```rust\n  x"), "- \\`\\`\\`rust\nx");
        assert_eq!(sanitize("        fn main() {}"), "fn main() {}");
    }

    #[test]
    fn removes_hidden_characters() {
        assert_eq!(clean("a\u{202E}b\u{2066}c\u{2069}d\u{200F}e\u{200E}f\u{FEFF}g"), "abcdefg");
        assert_eq!(clean("a\u{7}b\u{1b}c\u{0}d\u{7f}e\u{85}f"), "abcdef");
        assert_eq!(clean("a\rb\r\nc\u{2028}d"), "a\nb\nc\nd");
        assert_eq!(sanitize("x\u{202E}\ry"), "x\ny");
    }

    #[test]
    fn inline_text_and_code_spans_stay_on_one_line() {
        assert_eq!(inline("A \"title\"\n[x] = 1"), "A \"title\" \\[x\\] = 1");
        assert_eq!(code_span("/a/{id}\n```rust\nfn main(){}\n```"), "```` /a/{id} ```rust fn main(){} ``` ````");
        assert_eq!(code_span("a|b"), "`a\\|b`");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("\u{202E}"), "(empty)");
    }
}
