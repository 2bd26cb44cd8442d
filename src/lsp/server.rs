//! The transport: each LSP request and notification, converted and handed to the module that
//! answers it. Work that takes time (an analysis: parse, check, compile, worked examples) runs on
//! the blocking pool, so requests keep being read; the diagnostics of changed files are published
//! by one task, after the edits pause for the debounce.

use super::analysis::Analysis;
use super::workspace::Workspace;
use super::{Config, actions, complete, diagnostics, hover, lens, navigate, outline, tokens};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

pub(super) struct State {
    ws: Mutex<Workspace>,
    wake: Notify,
    config: Config,
}

impl State {
    fn ws(&self) -> MutexGuard<'_, Workspace> {
        // A panic while holding the lock leaves the files as they were: keep serving them.
        self.ws.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A file's analysis for its current text, made (on the blocking pool) if it is not.
    async fn analysis(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        let inputs = match self.ws().current(uri)? {
            Ok(a) => return Some(a),
            Err(inputs) => inputs,
        };
        let (source, book) = inputs;
        let made = tokio::task::spawn_blocking(move || Analysis::new(source, book))
            .await
            .ok()?;
        let made = Arc::new(made);
        let replaced = self.ws().store(made.clone());
        // Freed on the blocking pool, not before the diagnostics are published.
        if let Some(old) = replaced {
            tokio::task::spawn_blocking(move || drop(old));
        }
        Some(made)
    }

    /// [`State::analysis`] with the file's index built, for the requests that read it (the
    /// diagnostics do not, so an edit's are published before it is built).
    async fn indexed(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        Some(indexed(self.analysis(uri).await?).await)
    }
}

/// Builds an analysis's index on the blocking pool (a large book's takes milliseconds), if it
/// is not yet built.
async fn indexed(a: Arc<Analysis>) -> Arc<Analysis> {
    if !a.indexed() {
        let building = a.clone();
        let _ = tokio::task::spawn_blocking(move || {
            building.symbols();
        })
        .await;
    }
    a
}

pub(super) struct Backend {
    client: Client,
    state: Arc<State>,
}

impl Backend {
    pub(super) fn new(client: Client, config: Config) -> Backend {
        Backend {
            client,
            state: Arc::new(State {
                ws: Mutex::new(Workspace::default()),
                wake: Notify::new(),
                config,
            }),
        }
    }

    fn changed(&self) {
        self.state.wake.notify_one();
    }

    /// The file and byte offset of a position.
    async fn at(&self, doc: &TextDocumentPositionParams) -> Option<(Arc<Analysis>, usize)> {
        let a = self.state.indexed(&doc.text_document.uri).await?;
        let offset = a.lines.offset(a.text(), doc.position);
        Some((a, offset))
    }

    /// The analyses of a declaration's file and of the contracts on it.
    async fn family(&self, owner: &Uri) -> Vec<Arc<Analysis>> {
        let mut uris = vec![owner.clone()];
        uris.extend(self.state.ws().contracts_on(owner));
        let mut out = Vec::new();
        for u in uris {
            if let Some(a) = self.state.indexed(&u).await {
                out.push(a);
            }
        }
        out
    }
}

/// Publishes the diagnostics of the files that changed, once edits pause.
async fn publish_loop(client: Client, state: Arc<State>) {
    loop {
        state.wake.notified().await;
        loop {
            let wait = state
                .ws()
                .last_change
                .map(|t| state.config.debounce.saturating_sub(t.elapsed()));
            match wait {
                Some(w) if !w.is_zero() => tokio::time::sleep(w).await,
                _ => break,
            }
        }
        let dirty = state.ws().take_dirty();
        for uri in dirty {
            let Some(a) = state.analysis(&uri).await else {
                continue;
            };
            let (extra, version) = {
                let ws = state.ws();
                let version = ws
                    .files
                    .get(&uri)
                    .filter(|f| f.source.revision == a.source.revision)
                    .and_then(|f| f.version);
                (ws.duplicate_dates(&uri), version)
            };
            let list = diagnostics::of_file(&a, &extra);
            client.publish_diagnostics(uri, list, version).await;
        }
    }
}

/// The `*.pricebook` files under the workspace's folders, read.
fn scan(roots: &[std::path::PathBuf]) -> Vec<(Uri, String)> {
    let mut out = Vec::new();
    for root in roots {
        let Ok(files) = crate::load::book_files(std::slice::from_ref(root)) else {
            continue;
        };
        for f in files {
            if let (Ok(text), Some(uri)) = (crate::load::read_book(&f), Uri::from_file_path(&f)) {
                out.push((uri, text));
            }
        }
    }
    out
}

fn markdown(text: String, range: Option<Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range,
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        #[allow(deprecated)] // `root_uri`: for clients without workspace folders.
        let roots: Vec<Uri> = match (&params.workspace_folders, &params.root_uri) {
            (Some(folders), _) if !folders.is_empty() => {
                folders.iter().map(|f| f.uri.clone()).collect()
            }
            (_, Some(root)) => vec![root.clone()],
            _ => Vec::new(),
        };
        self.state.ws().roots = roots
            .iter()
            .filter_map(|u| u.to_file_path().map(|p| p.into_owned()))
            .collect();
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "pricebook".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![" ".into(), ",".into(), "=".into()]),
                    ..CompletionOptions::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_formatting_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![lens::RUN_TEST.into()],
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: tokens::legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: Some(false),
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        tokio::spawn(publish_loop(self.client.clone(), self.state.clone()));
        let roots = self.state.ws().roots.clone();
        let found = tokio::task::spawn_blocking(move || scan(&roots))
            .await
            .unwrap_or_default();
        {
            let mut ws = self.state.ws();
            for (uri, text) in found {
                // A document opened meanwhile keeps the editor's text.
                if !ws.files.contains_key(&uri) {
                    ws.set(uri, text.into(), false, None);
                }
            }
        }
        self.changed();
        let watch = Registration {
            id: "pricebook-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String("**/*.pricebook".into()),
                    kind: None,
                }],
            })
            .ok(),
        };
        // Clients without dynamic registration say no; edits of open files still arrive.
        let _ = self.client.register_capability(vec![watch]).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        self.state
            .ws()
            .set(d.uri, d.text.into(), true, Some(d.version));
        self.changed();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut ws = self.state.ws();
            let Some(entry) = ws.files.get(&uri) else {
                return;
            };
            let mut text = entry.source.text.to_string();
            for change in params.content_changes {
                match change.range {
                    Some(range) => {
                        let lines = super::lines::LineIndex::new(&text);
                        let span = lines.span(&text, range);
                        text.replace_range(span.start..span.end, &change.text);
                    }
                    None => text = change.text,
                }
            }
            ws.set(uri, text.into(), true, Some(params.text_document.version));
        }
        self.changed();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let path = uri.to_file_path().map(|p| p.into_owned());
        let reread = {
            let ws = self.state.ws();
            path.filter(|p| ws.in_roots(p))
                .and_then(|p| crate::load::read_book(&p).ok())
        };
        match reread {
            // In the workspace: back to what is on disk.
            Some(text) => self.state.ws().set(uri, text.into(), false, None),
            None => {
                if self.state.ws().remove(&uri) {
                    self.client.publish_diagnostics(uri, Vec::new(), None).await;
                }
            }
        }
        self.changed();
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            let uri = change.uri;
            let open = self.state.ws().files.get(&uri).is_some_and(|f| f.open);
            if open {
                continue;
            }
            let text = uri
                .to_file_path()
                .and_then(|p| crate::load::read_book(&p).ok());
            match (change.typ, text) {
                (FileChangeType::DELETED, _) | (_, None) => {
                    if self.state.ws().remove(&uri) {
                        self.client.publish_diagnostics(uri, Vec::new(), None).await;
                    }
                }
                (_, Some(text)) => self.state.ws().set(uri, text.into(), false, None),
            }
        }
        self.changed();
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let added: Vec<std::path::PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        {
            let mut ws = self.state.ws();
            for f in &params.event.removed {
                if let Some(p) = f.uri.to_file_path() {
                    ws.roots.retain(|r| r != &*p);
                }
            }
            ws.roots.extend(added.iter().cloned());
        }
        let found = tokio::task::spawn_blocking(move || scan(&added))
            .await
            .unwrap_or_default();
        let mut ws = self.state.ws();
        for (uri, text) in found {
            if !ws.files.contains_key(&uri) {
                ws.set(uri, text.into(), false, None);
            }
        }
        drop(ws);
        self.changed();
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let Some((a, offset)) = self.at(&params.text_document_position_params).await else {
            return Ok(None);
        };
        Ok(hover::hover(&a, offset)
            .map(|(text, span)| markdown(text, Some(a.lines.range(a.text(), span)))))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let doc = params.text_document_position;
        let uri = doc.text_document.uri;
        // The editor's current text, and names from the latest analysis (made now if there is
        // none yet): completion never waits for the text it is typed into to be checked.
        let (text, latest) = {
            let ws = self.state.ws();
            let Some(f) = ws.files.get(&uri) else {
                return Ok(None);
            };
            (f.source.text.clone(), ws.latest(&uri))
        };
        let names = match latest {
            Some(a) => Some(indexed(a).await),
            None => self.state.indexed(&uri).await,
        };
        let offset = super::lines::LineIndex::new(&text).offset(&text, doc.position);
        let items = complete::complete(&text, offset, names.as_deref());
        Ok(Some(CompletionResponse::Array(
            items
                .into_iter()
                .map(|i| CompletionItem {
                    label: i.label,
                    insert_text: i.insert,
                    kind: Some(match i.kind {
                        complete::ItemKind::Keyword => CompletionItemKind::KEYWORD,
                        complete::ItemKind::Product => CompletionItemKind::CLASS,
                        complete::ItemKind::Plan => CompletionItemKind::STRUCT,
                        complete::ItemKind::Pack => CompletionItemKind::INTERFACE,
                        complete::ItemKind::Unit => CompletionItemKind::UNIT,
                        complete::ItemKind::Dimension => CompletionItemKind::ENUM,
                        complete::ItemKind::Value => CompletionItemKind::ENUM_MEMBER,
                        complete::ItemKind::Attribute => CompletionItemKind::PROPERTY,
                        complete::ItemKind::Code => CompletionItemKind::CONSTANT,
                        complete::ItemKind::Word => CompletionItemKind::VALUE,
                    }),
                    detail: i.detail,
                    ..CompletionItem::default()
                })
                .collect(),
        )))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let Some((a, offset)) = self.at(&params.text_document_position_params).await else {
            return Ok(None);
        };
        Ok(navigate::target(&a, offset)
            .and_then(|t| navigate::location(&a, &t))
            .map(GotoDefinitionResponse::Scalar))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let Some((a, offset)) = self.at(&params.text_document_position).await else {
            return Ok(None);
        };
        let Some(t) = navigate::target(&a, offset) else {
            return Ok(None);
        };
        let files = self.family(&t.uri).await;
        Ok(Some(navigate::references(
            &files,
            &t,
            params.context.include_declaration,
        )))
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some((a, offset)) = self.at(&params).await else {
            return Ok(None);
        };
        let Some(at) = a.symbols().at(offset) else {
            return Ok(None);
        };
        if !navigate::renamable(at.kind()) || navigate::target(&a, offset).is_none() {
            return Err(Error::invalid_params(format!(
                "this {} cannot be renamed here",
                at.kind().word()
            )));
        }
        Ok(Some(PrepareRenameResponse::Range(
            a.lines.range(a.text(), at.span()),
        )))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let Some((a, offset)) = self.at(&params.text_document_position).await else {
            return Ok(None);
        };
        let Some(t) = navigate::target(&a, offset).filter(|t| navigate::renamable(t.def.kind))
        else {
            return Ok(None);
        };
        if let Some(why) = navigate::invalid_name(t.def.kind, &params.new_name) {
            return Err(Error::invalid_params(why));
        }
        let files = self.family(&t.uri).await;
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for l in navigate::references(&files, &t, true) {
            changes.entry(l.uri).or_default().push(TextEdit {
                range: l.range,
                new_text: params.new_name.clone(),
            });
        }
        Ok(Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        let Some(text) = self
            .state
            .ws()
            .files
            .get(&uri)
            .map(|f| f.source.text.clone())
        else {
            return Ok(None);
        };
        let formatted = tokio::task::spawn_blocking({
            let text = text.clone();
            move || crate::fmt::format_source(&text)
        })
        .await
        .map_err(|_| Error::internal_error())?;
        match formatted {
            Ok(f) if *f != *text => {
                let lines = super::lines::LineIndex::new(&text);
                Ok(Some(vec![TextEdit {
                    range: Range::new(Position::new(0, 0), lines.position(&text, text.len())),
                    new_text: f,
                }]))
            }
            Ok(_) => Ok(Some(Vec::new())),
            // A file with syntax errors is left as it is; the errors are its diagnostics.
            Err(_) => Ok(None),
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(a) = self.state.indexed(&params.text_document.uri).await else {
            return Ok(None);
        };
        let found = actions::actions(&a, &params.context.diagnostics);
        Ok(Some(
            found
                .into_iter()
                .map(CodeActionOrCommand::CodeAction)
                .collect(),
        ))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(a) = self.state.indexed(&params.text_document.uri).await else {
            return Ok(None);
        };
        Ok(Some(lens::lenses(&a)))
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        if params.command != lens::RUN_TEST {
            return Err(Error::method_not_found());
        }
        let (uri, name) = match params.arguments.as_slice() {
            [
                serde_json::Value::String(u),
                serde_json::Value::String(n),
                ..,
            ] => (u, n),
            _ => {
                return Err(Error::invalid_params(
                    "pricebook.runTest takes a file's URI and a test's name",
                ));
            }
        };
        let uri: Uri = uri
            .parse()
            .map_err(|_| Error::invalid_params(format!("`{uri}` is not a URI")))?;
        let Some(a) = self.state.indexed(&uri).await else {
            return Err(Error::invalid_params(format!(
                "`{}` is not open",
                uri.as_str()
            )));
        };
        let Some(t) = a.tests.iter().find(|t| &t.name == name) else {
            return Err(Error::invalid_params(format!(
                "no test \"{name}\" in this file"
            )));
        };
        let failures: Vec<String> = match &t.state {
            super::analysis::TestState::Failed(fs) => {
                fs.iter().map(|d| d.message.clone()).collect()
            }
            _ => Vec::new(),
        };
        let passed = t.state == super::analysis::TestState::Passed;
        let mut message = format!("test \"{name}\": {}", lens::verdict(&t.state));
        for f in &failures {
            message.push('\n');
            message.push_str(f);
        }
        let kind = if passed {
            MessageType::INFO
        } else {
            MessageType::WARNING
        };
        self.client.show_message(kind, message).await;
        Ok(Some(serde_json::json!({
            "test": name,
            "passed": passed,
            "verdict": lens::verdict(&t.state),
            "failures": failures,
        })))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(a) = self.state.indexed(&params.text_document.uri).await else {
            return Ok(None);
        };
        let range = a.lines.span(a.text(), params.range);
        Ok(Some(lens::inlay_hints(&a, range)))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(a) = self.state.indexed(&params.text_document.uri).await else {
            return Ok(None);
        };
        Ok(Some(DocumentSymbolResponse::Nested(outline::outline(&a))))
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some(a) = self.state.indexed(&params.text_document.uri).await else {
            return Ok(None);
        };
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data: tokens::tokens(&a),
        })))
    }
}
