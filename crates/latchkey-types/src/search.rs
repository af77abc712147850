//! Search queries and result metadata shared by the organization and member search endpoints
//! (`api_organization_v1_SearchQuery`, `api_organization_v1_ResultsMetadata`).

use serde::{Deserialize, Serialize};

/// `query` of a search request: an operator and filter operands.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchQuery {
    /// `AND` or `OR` (deprecated by Stytch, still honoured).
    pub operator: Option<String>,
    /// Each operand is `{filter_name, filter_value}`; the value's type depends on the filter.
    #[serde(default)]
    pub operands: Vec<serde_json::Value>,
}

/// `results_metadata` of a search response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResultsMetadata {
    pub total: i64,
    pub next_cursor: Option<String>,
}
