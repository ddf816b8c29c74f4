//! Overlay targets: JSONPath expressions (RFC 9535), parsed by `serde_json_path` once they are
//! known to stay within bounds that keep parsing and querying cheap whatever the input.
//!
//! The parser descends once per nesting level of brackets and parentheses, so nesting is
//! bounded before it runs; a query costs about the document's size for each descendant segment
//! (`..`) it passes through, nested in filters, so those are bounded too. Regular expressions
//! (`match`, `search`) are not offered: they would be compiled for every node a filter visits.

use serde_json_path::JsonPath;

/// Longest target, in characters.
pub const MAX_CHARS: usize = 2048;
/// Deepest nesting of brackets and parentheses.
pub const MAX_NESTING: usize = 16;
/// Most descendant segments (`..`) in one target.
pub const MAX_DESCENDANTS: usize = 2;

/// Parses `text`; the error says what is wrong and, where it can, at which character.
pub fn parse(text: &str) -> Result<JsonPath, String> {
    bounds(text)?;
    JsonPath::parse(text).map_err(|error| {
        let at = text.get(..error.position()).map_or(error.position(), |before| before.chars().count()) + 1;
        format!("`{text}` is not a JSONPath expression: {} at character {at}", error.message())
    })
}

/// Checks the bounds of [`MAX_CHARS`], [`MAX_NESTING`] and [`MAX_DESCENDANTS`], outside string
/// literals.
fn bounds(text: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(format!("the target is {chars} characters long, more than the {MAX_CHARS} triad reads"));
    }
    let (mut depth, mut deepest, mut descendants) = (0usize, 0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_NESTING {
                    return Err(format!(
                        "the target nests brackets and parentheses more than {MAX_NESTING} deep (at character {})",
                        i + 1
                    ));
                }
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            '.' if chars.peek().is_some_and(|(_, next)| *next == '.') => {
                chars.next();
                descendants += 1;
                if descendants > MAX_DESCENDANTS {
                    return Err(format!(
                        "the target has more than {MAX_DESCENDANTS} descendant segments (`..`, at character {})",
                        i + 1
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets_and_places_syntax_errors() {
        assert!(parse("$.paths['/a/{id}'].get").is_ok());
        assert!(parse("$.components.schemas.A.required[?@ == 'Name']").is_ok());
        let error = parse("$.paths[").unwrap_err();
        assert!(error.contains("at character"), "{error}");
        let error = parse("$.a[?match(@, 'x')]").unwrap_err();
        assert!(error.contains("is not a JSONPath expression"), "{error}");
    }

    #[test]
    fn bounds_nesting_descendants_and_length() {
        let deep = format!("$[?{}@.a{}]", "(".repeat(20), ")".repeat(20));
        assert!(parse(&deep).unwrap_err().contains("more than 16 deep"));
        assert!(parse("$..a..b..c").unwrap_err().contains("descendant segments"));
        assert!(parse("$['..'].a..b").is_ok(), "dots inside a string literal are no segment");
        assert!(parse(&format!("$.{}", "a".repeat(3000))).unwrap_err().contains("characters long"));
        // The deepest nesting allowed parses on a small stack.
        let allowed = format!("$[?{}@.a{}]", "(".repeat(15), ")".repeat(15));
        let parsed = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || parse(&allowed).is_ok())
            .unwrap()
            .join()
            .unwrap();
        assert!(parsed);
    }
}
