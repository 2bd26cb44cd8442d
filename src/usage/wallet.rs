//! Reading a carried-over wallet.

use crate::bill::WalletState;

/// Reads the wallet an earlier bill closed with: the bill's whole JSON, or its
/// `closing_wallet` alone.
pub fn read_wallet(text: &str) -> Result<WalletState, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let state = match v.get("closing_wallet") {
        Some(w) => w.clone(),
        None => v,
    };
    serde_json::from_value(state)
        .map_err(|e| format!("not a wallet (a bill's JSON, or its `closing_wallet`): {e}"))
}
