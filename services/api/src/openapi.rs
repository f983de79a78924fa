//! The OpenAPI 3.1 document: its header and the admin bearer scheme here; paths and schemas come from the
//! handlers' `#[utoipa::path]` annotations and their types, collected as the routes are registered.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shockwave API",
        description = "Market-sentiment analytics: news and its sentiment per topic and ticker, prices and returns, app ranks, lead-lag correlations, event studies and sentiment shocks. Errors are RFC 7807 problems; lists are paged with opaque cursors.",
        license(name = "Apache-2.0")
    ),
    modifiers(&AdminToken),
    components(schemas(crate::problem::Problem))
)]
pub struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
