//! `pricebook lsp` (work in progress).
