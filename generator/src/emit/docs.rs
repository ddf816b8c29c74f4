//! Spec descriptions → rustdoc text that renders well and never produces rustdoc warnings or
//! doctests: fenced blocks become `text` blocks, indented blocks are dedented, stray brackets
//! and angle brackets are escaped, bare URLs become autolinks.

/// Rewrites a description for use as rustdoc.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for raw_line in text.replace("\r\n", "\n").replace('\r', "\n").lines() {
        let line = raw_line.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
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
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            // Copy the whole code span, if it is closed on this line.
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            let fence: String = std::iter::repeat_n('`', run).collect();
            let rest: String = chars[i + run..].iter().collect();
            if let Some(end) = rest.find(&fence) {
                out.push_str(&fence);
                out.push_str(&rest[..end]);
                out.push_str(&fence);
                i += run + rest[..end].chars().count() + run;
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
                            let target: String = chars[close + 2..end].iter().collect();
                            let text: String = chars[i + 1..close].iter().collect();
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
                let rest: String = chars[i + 1..].iter().take(8).collect();
                if rest.starts_with("http://") || rest.starts_with("https:/") {
                    out.push('<');
                } else {
                    out.push_str("&lt;");
                }
            }
            'h' if starts_url(&chars, i) && !preceded_by_link_syntax(&chars, i) => {
                let end = url_end(&chars, i);
                out.push('<');
                out.extend(&chars[i..end]);
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

fn matching_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (j, &c) in chars.iter().enumerate().skip(open) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (j, &c) in chars.iter().enumerate().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_url(target: &str) -> bool {
    let target = target.trim();
    target.contains("://") || target.starts_with("mailto:") || target.starts_with('#')
}

fn starts_url(chars: &[char], i: usize) -> bool {
    let rest: String = chars[i..].iter().take(8).collect();
    rest.starts_with("http://") || rest.starts_with("https://")
}

fn preceded_by_link_syntax(chars: &[char], i: usize) -> bool {
    i > 0 && matches!(chars[i - 1], '<' | '(' | '"' | '\'')
}

fn url_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() && !chars[end].is_whitespace() && !matches!(chars[end], '>' | '<' | '"' | ')' | '`') {
        end += 1;
    }
    while end > start && matches!(chars[end - 1], '.' | ',' | ';' | ':' | '!' | '?') {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::sanitize;

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
}
