//! The parser's input: saphyr-parser's `StrInput`, with a smaller look-ahead window.
//!
//! The scanner gives every plain scalar a 32-byte buffer, then reserves the input's
//! `bufmaxlen` more after its first character: with `StrInput` (128), each scalar is
//! reallocated to 161 bytes, which was about 10 % of a load's instructions, and the tree then
//! holds (and frees) blocks of that size for keys of a few bytes. The window is 16 characters
//! here, as for saphyr-parser's own `BufferedInput`, so the scanner's code paths are the
//! ones that input already takes; every other method is `StrInput`'s. The test below checks
//! that the window changes nothing the scanner reports: the same events and spans (hence the
//! same line and column in every diagnostic) as `StrInput`'s, over every YAML file in the
//! repository and a set of edge cases.
//!
//! Measured, not kept: an ASCII-first reimplementation of every method (an ASCII byte taken as
//! the character, only bytes ≥ 0x80 decoded) saved 1.1 % of a load (2 743 380 → 2 712 132 Ir):
//! decoding one UTF-8 character already costs about what the byte test does.

use saphyr_parser::input::SkipTabs;
use saphyr_parser::{Input, StrInput};

/// How many characters the scanner may look ahead, and reserves per plain scalar.
const WINDOW: usize = 16;

/// [`StrInput`] with a look-ahead window of [`WINDOW`] characters.
pub(super) struct Text<'a>(StrInput<'a>);

impl<'a> Text<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Text(StrInput::new(text))
    }
}

// Every method forwards to `StrInput`, whose own are inlined into the scanner's loops.
#[allow(clippy::inline_always)]
impl Input for Text<'_> {
    #[inline(always)]
    fn lookahead(&mut self, count: usize) {
        self.0.lookahead(count);
    }
    #[inline(always)]
    fn buflen(&self) -> usize {
        self.0.buflen()
    }
    #[inline(always)]
    fn bufmaxlen(&self) -> usize {
        WINDOW
    }
    #[inline(always)]
    fn buf_is_empty(&self) -> bool {
        self.0.buf_is_empty()
    }
    #[inline(always)]
    fn raw_read_ch(&mut self) -> char {
        self.0.raw_read_ch()
    }
    #[inline(always)]
    fn raw_read_non_breakz_ch(&mut self) -> Option<char> {
        self.0.raw_read_non_breakz_ch()
    }
    #[inline(always)]
    fn skip(&mut self) {
        self.0.skip();
    }
    #[inline(always)]
    fn skip_n(&mut self, count: usize) {
        self.0.skip_n(count);
    }
    #[inline(always)]
    fn peek(&self) -> char {
        self.0.peek()
    }
    #[inline(always)]
    fn peek_nth(&self, n: usize) -> char {
        self.0.peek_nth(n)
    }
    #[inline(always)]
    fn peek_opt(&self) -> Option<char> {
        self.0.peek_opt()
    }
    #[inline(always)]
    fn look_ch(&mut self) -> char {
        self.0.look_ch()
    }
    #[inline(always)]
    fn next_char_is(&self, c: char) -> bool {
        self.0.next_char_is(c)
    }
    #[inline(always)]
    fn nth_char_is(&self, n: usize, c: char) -> bool {
        self.0.nth_char_is(n, c)
    }
    #[inline(always)]
    fn next_2_are(&self, c1: char, c2: char) -> bool {
        self.0.next_2_are(c1, c2)
    }
    #[inline(always)]
    fn next_3_are(&self, c1: char, c2: char, c3: char) -> bool {
        self.0.next_3_are(c1, c2, c3)
    }
    #[inline(always)]
    fn next_is_document_indicator(&self) -> bool {
        self.0.next_is_document_indicator()
    }
    #[inline(always)]
    fn next_is_document_start(&self) -> bool {
        self.0.next_is_document_start()
    }
    #[inline(always)]
    fn next_is_document_end(&self) -> bool {
        self.0.next_is_document_end()
    }
    #[inline(always)]
    fn skip_ws_to_eol(&mut self, skip_tabs: SkipTabs) -> (usize, Result<SkipTabs, &'static str>) {
        self.0.skip_ws_to_eol(skip_tabs)
    }
    #[inline(always)]
    fn next_can_be_plain_scalar(&self, in_flow: bool) -> bool {
        self.0.next_can_be_plain_scalar(in_flow)
    }
    #[inline(always)]
    fn next_is_blank_or_break(&self) -> bool {
        self.0.next_is_blank_or_break()
    }
    #[inline(always)]
    fn next_is_blank_or_breakz(&self) -> bool {
        self.0.next_is_blank_or_breakz()
    }
    #[inline(always)]
    fn next_is_blank(&self) -> bool {
        self.0.next_is_blank()
    }
    #[inline(always)]
    fn next_is_break(&self) -> bool {
        self.0.next_is_break()
    }
    #[inline(always)]
    fn next_is_breakz(&self) -> bool {
        self.0.next_is_breakz()
    }
    #[inline(always)]
    fn next_is_z(&self) -> bool {
        self.0.next_is_z()
    }
    #[inline(always)]
    fn next_is_flow(&self) -> bool {
        self.0.next_is_flow()
    }
    #[inline(always)]
    fn next_is_digit(&self) -> bool {
        self.0.next_is_digit()
    }
    #[inline(always)]
    fn next_is_alpha(&self) -> bool {
        self.0.next_is_alpha()
    }
    #[inline(always)]
    fn skip_while_non_breakz(&mut self) -> usize {
        self.0.skip_while_non_breakz()
    }
    #[inline(always)]
    fn skip_while_blank(&mut self) -> usize {
        self.0.skip_while_blank()
    }
    #[inline(always)]
    fn fetch_while_is_alpha(&mut self, out: &mut String) -> usize {
        self.0.fetch_while_is_alpha(out)
    }
    #[inline(always)]
    fn fetch_while_is_yaml_non_space(&mut self, out: &mut String) -> usize {
        self.0.fetch_while_is_yaml_non_space(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;
    use saphyr_parser::{Parser, StrInput};

    /// Every event and span, or the error and its position, as text.
    fn events<I: saphyr_parser::Input>(mut parser: Parser<'_, I>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => out.push(format!("{event:?} {span:?}")),
                Err(e) => {
                    out.push(format!("error {} {:?}", e.info(), e.marker()));
                    break;
                }
            }
        }
        out
    }

    const EDGES: &[&str] = &[
        "",
        "a",
        "a:",
        "a: b",
        "a:b: c",
        "\u{FEFF}a: 1",
        "a: \u{FEFF}x",
        "ünï: cödé ☃ 𝄞\nk: 'q ☃'\n",
        "- é\n- ☃: 𝄞x\n-  a # ☃ comment\n",
        "a:\t1\n\tb: 2\n",
        "key:    # comment\n  value\n",
        "a: b#not comment\nc: d #comment ☃\n",
        "{a: [1, 2, {b: c}], d: e,}\n",
        "[a:b, c: d, ☃: 𝄞, :x, x:]\n",
        "---\na: 1\n...\n---\nb: 2\n",
        "--- a\n...x\n",
        "&anc ☃x: *anc\n",
        "!tag ☃: !!str 1\n!<tag:yaml.org,2002:str> x: y\n",
        "a: |\n  ☃ line\n   more\n\nb: >-\n  folded ☃\n  text\n",
        "\"esc \\u2603 \\\" ☃\": 'it''s'\n",
        "a: b\r\nc: d\r\n",
        "a: x\u{0}y\n",
        "plain\n  multi ☃\n\n  line\n",
        "a:\n- b\n-\tc\n",
        "%YAML 1.2\n---\nk: v\n",
        "key: [unterminated\n",
        "a: 'unterminated\n",
        "\t- bad tab\n",
        "a: b: c\n",
    ];

    #[test]
    fn reads_every_document_exactly_as_str_input_does() {
        let files = crate::test_files::documents();
        assert!(files.len() > 100, "found {} files", files.len());
        let texts = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .chain(EDGES.iter().map(|s| s.to_string()));
        for text in texts {
            let ours = events(Parser::new(Text::new(&text)));
            let theirs = events(Parser::new(StrInput::new(&text)));
            assert_eq!(ours, theirs, "{text:.200}");
        }
    }
}
