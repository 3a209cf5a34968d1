//! The parser's input: saphyr-parser's `StrInput`, with a smaller look-ahead window.
//!
//! The scanner gives every plain scalar a 32-byte buffer, then reserves the input's
//! `bufmaxlen` more after its first character: with `StrInput` (128), each scalar is
//! reallocated to 161 bytes, which was about 10 % of a load's instructions, and the tree then
//! holds (and frees) blocks of that size for keys of a few bytes. The window is 16 characters
//! here, as for saphyr-parser's own `BufferedInput`, so the scanner's code paths are the
//! ones that input already takes; every other method is `StrInput`'s.

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
