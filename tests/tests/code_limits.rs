//! The generator's own size limits, which `ARCHITECTURE.md` states as invariants: no function in
//! `generator/src` longer than 120 lines, no file with more than 700 lines of code (lines that
//! hold something besides blanks and comments, outside `#[cfg(test)]` items).

use std::path::{Path, PathBuf};

const MAX_FUNCTION_LINES: usize = 120;
const MAX_FILE_CODE_LINES: usize = 700;

/// A Rust source file with its comments removed and the contents of its string and character
/// literals blanked, so that braces and keywords can be found by plain scanning. Line breaks are
/// kept, so byte offsets map to the same lines as in the original.
struct Stripped {
    text: Vec<u8>,
    /// Per line: whether anything other than blanks and comments stands on it.
    code: Vec<bool>,
}

fn strip(source: &str) -> Stripped {
    let bytes = source.as_bytes();
    let mut text = Vec::with_capacity(bytes.len());
    let mut code = vec![false];
    let mut i = 0;
    let push = |text: &mut Vec<u8>, code: &mut Vec<bool>, byte: u8, is_code: bool| {
        text.push(if byte == b'\n' || is_code { byte } else { b' ' });
        if byte == b'\n' {
            code.push(false);
        } else if is_code && !byte.is_ascii_whitespace() {
            *code.last_mut().unwrap() = true;
        }
    };
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                push(&mut text, &mut code, bytes[i], false);
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i..].starts_with(b"/*") {
                    depth += 1;
                    push(&mut text, &mut code, b'/', false);
                    push(&mut text, &mut code, b'*', false);
                    i += 2;
                } else if bytes[i..].starts_with(b"*/") {
                    depth -= 1;
                    push(&mut text, &mut code, b'*', false);
                    push(&mut text, &mut code, b'/', false);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    push(&mut text, &mut code, bytes[i], false);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(bytes, i) {
            // r"..." / r#"..."# / br#"..."#: up to the quote followed by as many hashes.
            let open = bytes[i..].iter().position(|b| *b == b'"').unwrap() + i;
            for b in &bytes[i..=open] {
                push(&mut text, &mut code, *b, true);
            }
            i = open + 1;
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            while i < bytes.len() && !bytes[i..].starts_with(&close) {
                push(&mut text, &mut code, bytes[i], true);
                text.pop();
                text.push(if bytes[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            for b in close.iter().take(bytes.len().saturating_sub(i)) {
                push(&mut text, &mut code, *b, true);
            }
            i += close.len();
        } else if bytes[i] == b'"' {
            push(&mut text, &mut code, b'"', true);
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                let skip = if bytes[i] == b'\\' { 2 } else { 1 };
                for b in &bytes[i..(i + skip).min(bytes.len())] {
                    push(&mut text, &mut code, *b, true);
                    text.pop();
                    text.push(if *b == b'\n' { b'\n' } else { b' ' });
                }
                i += skip;
            }
            if i < bytes.len() {
                push(&mut text, &mut code, b'"', true);
                i += 1;
            }
        } else if bytes[i] == b'\'' && char_literal_len(&bytes[i..]).is_some() {
            let len = char_literal_len(&bytes[i..]).unwrap();
            push(&mut text, &mut code, b'\'', true);
            for _ in 1..len {
                push(&mut text, &mut code, b' ', true);
            }
            i += len;
        } else {
            push(&mut text, &mut code, bytes[i], true);
            i += 1;
        }
    }
    Stripped { text, code }
}

/// The number of `#`s of a raw string literal starting at `i`, if one does.
fn raw_string_start(bytes: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return None;
    }
    let mut j = i;
    if bytes.get(j) == Some(&b'b') || bytes.get(j) == Some(&b'c') {
        j += 1;
    }
    if bytes.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = bytes[j..].iter().take_while(|b| **b == b'#').count();
    (bytes.get(j + hashes) == Some(&b'"')).then_some(hashes)
}

/// The length of a character literal at the start of `bytes` (`'a'`, `'\n'`, `'\u{1F600}'`,
/// `'é'`), or `None` for a lifetime or label.
fn char_literal_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) == Some(&b'\\') {
        let end = bytes[2..].iter().position(|b| *b == b'\'')? + 2;
        return Some(end + 1);
    }
    let width = match bytes.get(1)? {
        b if *b < 0x80 => 1,
        b if *b >= 0xF0 => 4,
        b if *b >= 0xE0 => 3,
        _ => 2,
    };
    (bytes.get(1 + width) == Some(&b'\'')).then_some(width + 2)
}

fn line_of(text: &[u8], offset: usize) -> usize {
    text[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The offsets of every occurrence of the keyword `word` in the stripped text.
fn keyword_offsets(text: &[u8], word: &[u8]) -> Vec<usize> {
    (0..text.len().saturating_sub(word.len()))
        .filter(|&i| {
            text[i..].starts_with(word)
                && (i == 0 || !is_word(text[i - 1]))
                && text.get(i + word.len()).is_none_or(|b| !is_word(*b))
        })
        .collect()
}

/// The offset of the brace that closes the one at `open`.
fn matching_brace(text: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, b) in text.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    text.len() - 1
}

/// Line ranges (first, last; 1-based, inclusive) of the items marked `#[cfg(test)]`.
fn test_items(text: &[u8]) -> Vec<(usize, usize)> {
    let marker = b"#[cfg(test)]";
    (0..text.len())
        .filter(|&i| text[i..].starts_with(marker))
        .filter_map(|start| {
            let after = start + marker.len();
            let end = text[after..].iter().position(|b| *b == b'{' || *b == b';')? + after;
            let end = if text[end] == b'{' { matching_brace(text, end) } else { end };
            Some((line_of(text, start), line_of(text, end)))
        })
        .collect()
}

/// Every function with a body: its name, first line (of `fn`) and last line (of the closing brace).
fn functions(text: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for at in keyword_offsets(text, b"fn") {
        let name_start = at + 2 + text[at + 2..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let name: String = text[name_start..].iter().take_while(|b| is_word(**b)).map(|b| char::from(*b)).collect();
        if name.is_empty() {
            continue; // `fn(` pointer types, `Fn` bounds
        }
        let mut nesting = 0i32;
        let mut body = None;
        for (i, b) in text.iter().enumerate().skip(name_start) {
            match b {
                b'(' | b'[' => nesting += 1,
                b')' | b']' => nesting -= 1,
                b';' if nesting == 0 => break,
                b'{' if nesting == 0 => {
                    body = Some(i);
                    break;
                }
                _ => {}
            }
        }
        if let Some(open) = body {
            out.push((name, line_of(text, at), line_of(text, matching_brace(text, open))));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (file, function, lines) of a function over the limit.
type LongFunction = (String, String, usize);
/// (file, code lines) of a file over the limit.
type LongFile = (String, usize);

/// Every function and every file over its limit.
fn over_limits(root: &Path) -> (Vec<LongFunction>, Vec<LongFile>) {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let (mut long_functions, mut long_files) = (Vec::new(), Vec::new());
    for path in files {
        let shown = path.strip_prefix(root).unwrap().display().to_string();
        let stripped = strip(&std::fs::read_to_string(&path).unwrap());
        let tests = test_items(&stripped.text);
        let in_tests = |line: usize| tests.iter().any(|(a, b)| (*a..=*b).contains(&line));
        for (name, first, last) in functions(&stripped.text) {
            let lines = last - first + 1;
            if lines > MAX_FUNCTION_LINES && !in_tests(first) {
                long_functions.push((shown.clone(), name, lines));
            }
        }
        let code = (1..=stripped.code.len()).filter(|line| stripped.code[line - 1] && !in_tests(*line)).count();
        if code > MAX_FILE_CODE_LINES {
            long_files.push((shown, code));
        }
    }
    (long_functions, long_files)
}

#[test]
fn the_generators_functions_and_files_stay_within_their_limits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/src");
    let (long_functions, long_files) = over_limits(&root);
    assert!(
        long_functions.is_empty() && long_files.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines: {long_functions:?}; files over {MAX_FILE_CODE_LINES} code lines: \
         {long_files:?}"
    );
}

#[test]
fn the_scanner_measures_functions_and_skips_comments_strings_and_tests() {
    let source = r####"
// fn commented() { }
/* fn also_commented() {
   } */
fn short() -> &'static str {
    let brace = '{';
    let text = "fn not_a_function() { {";
    let raw = r#"} } fn nor_this() {"#;
    text
}

fn long<'a>(x: &'a str) -> impl Fn() + 'a {
    move || {
        let _ = x;
    }
}

#[cfg(test)]
mod tests {
    fn inside_tests() {}
}
"####;
    let stripped = strip(source);
    let found = functions(&stripped.text);
    let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["short", "long", "inside_tests"]);
    assert_eq!((found[0].1, found[0].2), (5, 10));
    assert_eq!((found[1].1, found[1].2), (12, 16));
    assert_eq!(test_items(&stripped.text), [(18, 21)]);
    // Comment lines and blank lines are not code; the multi-line comment is neither.
    let code: Vec<usize> = (1..=stripped.code.len()).filter(|l| stripped.code[l - 1]).collect();
    assert_eq!(code, [5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 18, 19, 20, 21]);
}
