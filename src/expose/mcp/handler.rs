//! The rmcp `ServerHandler`, written by hand: tools come from the capability at run time,
//! so rmcp's `#[tool]` macros do not apply (its conformance server does the same).

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, PromptsCapability, ReadResourceRequestParams,
    ReadResourceResponse, ResourcesCapability, ServerCapabilities, ServerConfig,
};
use rmcp::model::{
    GetPromptRequestMethod, ListPromptsRequestMethod, ListResourceTemplatesRequestMethod,
    ListResourcesRequestMethod, ReadResourceRequestMethod,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};

use super::McpServer;

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut caps = ServerCapabilities::builder().enable_tools().build();
        let (resources, prompts) = super::extras::declared_kinds(&self.inner);
        if resources {
            caps.resources = Some(ResourcesCapability::default());
        }
        if prompts {
            caps.prompts = Some(PromptsCapability::default());
        }
        let mut config = ServerConfig::new(caps).with_server_info(Implementation::new(
            self.namespace().to_string(),
            env!("CARGO_PKG_VERSION"),
        ));
        let instructions = self
            .inner
            .adapter
            .as_ref()
            .and_then(|a| a.description.clone())
            .or_else(|| self.inner.rt.capability().description().map(str::to_string));
        if let Some(i) = instructions {
            config = config.with_instructions(i);
        }
        config
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.list_tools_page(request)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Over HTTP, rmcp puts the request's head in the extensions.
        let trace = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.headers.get("traceparent"))
            .and_then(|v| v.to_str().ok())
            .and_then(crate::TraceParent::parse);
        self.call_tool_traced(request, trace).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.require_resources::<ListResourcesRequestMethod>()?;
        let all = super::extras::list(&self.inner).await;
        Ok(ListResourcesResult::with_all_items(all))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.require_resources::<ListResourceTemplatesRequestMethod>()?;
        let all = super::extras::templates(&self.inner);
        Ok(ListResourceTemplatesResult::with_all_items(all))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.require_resources::<ReadResourceRequestMethod>()?;
        let opts = crate::CallOptions {
            timeout: self.inner.options.timeout,
            ..crate::CallOptions::default()
        };
        let result = super::extras::read(&self.inner, &request.uri, &opts).await?;
        Ok(result.into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.require_prompts::<ListPromptsRequestMethod>()?;
        let all = super::extras::list_prompts(&self.inner);
        Ok(ListPromptsResult::with_all_items(all))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        self.require_prompts::<GetPromptRequestMethod>()?;
        let result =
            super::extras::get_prompt(&self.inner, &request.name, request.arguments).await?;
        Ok(result.into())
    }
}

/// `tools/list` and `tools/call`, shared by the rmcp handler and the HTTP fast path
/// (`fast`), so both answer alike.
impl McpServer {
    pub(super) fn list_tools_page(
        &self,
        request: Option<PaginatedRequestParams>,
    ) -> Result<ListToolsResult, ErrorData> {
        let entries = &self.inner.tools.entries;
        let size = self.inner.options.page_size.max(1);
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(c) => c
                .parse::<usize>()
                .ok()
                .filter(|&n| n <= entries.len())
                .ok_or_else(|| ErrorData::invalid_params(format!("invalid cursor `{c}`"), None))?,
        };
        let end = (start + size).min(entries.len());
        let page = entries[start..end].iter().map(|e| e.tool.clone()).collect();
        let mut result = ListToolsResult::with_all_items(page);
        if end < entries.len() {
            result.next_cursor = Some(end.to_string());
        }
        Ok(result)
    }

    pub(super) async fn call_tool_traced(
        &self,
        request: CallToolRequestParams,
        trace: Option<crate::TraceParent>,
    ) -> Result<CallToolResponse, ErrorData> {
        let answer = self.call_tool_answer(request, trace).await?;
        Ok(answer.into_result().into())
    }

    /// The tool's answer before rmcp's types: the HTTP fast path writes it directly.
    pub(super) async fn call_tool_answer(
        &self,
        request: CallToolRequestParams,
        trace: Option<crate::TraceParent>,
    ) -> Result<super::call::Answer, ErrorData> {
        super::call::call(&self.inner, &request.name, request.arguments, trace).await
    }
}

/// Resources and prompts are methods of a server that declares them; otherwise −32601, as
/// the announced capabilities say.
impl McpServer {
    fn require_resources<M: rmcp::model::ConstString>(&self) -> Result<(), ErrorData> {
        match super::extras::declared_kinds(&self.inner).0 {
            true => Ok(()),
            false => Err(ErrorData::method_not_found::<M>()),
        }
    }

    fn require_prompts<M: rmcp::model::ConstString>(&self) -> Result<(), ErrorData> {
        match super::extras::declared_kinds(&self.inner).1 {
            true => Ok(()),
            false => Err(ErrorData::method_not_found::<M>()),
        }
    }
}
