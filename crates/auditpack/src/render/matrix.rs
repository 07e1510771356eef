//! `control-matrix.csv` (RFC 4180) and `control-matrix.json`.

use serde_json::{Map, Value, json};

use super::RenderError;
use super::context::Context;
use super::sections::matrix::{Column, MatrixRow};
use crate::findings::Findings;

/// The control matrix: one row per check, one column per selected framework.
pub struct Matrix<'a> {
    packet_id: &'a str,
    columns: &'a [Column],
    rows: &'a [MatrixRow],
}

impl<'a> Matrix<'a> {
    /// The matrix of a rendered context.
    pub fn build(_findings: &Findings, ctx: &'a Context) -> Self {
        Matrix {
            packet_id: &ctx.packet.id,
            columns: &ctx.columns,
            rows: &ctx.matrix,
        }
    }

    /// CSV with a header row; several values in one cell are joined with `; ` (controls,
    /// evidence) or a line break (commands), quoted as RFC 4180 requires.
    pub fn to_csv(&self) -> Result<Vec<u8>, RenderError> {
        let err = |e: csv::Error| RenderError::Serialize {
            what: "control-matrix.csv".into(),
            message: e.to_string(),
        };
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        let mut header = vec![
            "check".to_string(),
            "title".to_string(),
            "kubernetes_resource".to_string(),
        ];
        header.extend(self.columns.iter().map(|c| c.name.clone()));
        header.extend(["status", "evidence_location", "command"].map(String::from));
        w.write_record(&header).map_err(err)?;
        for r in self.rows {
            let mut rec = vec![r.check.clone(), r.title.clone(), r.resource.clone()];
            for ctl in &r.controls {
                rec.push(
                    ctl.iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                );
            }
            rec.push(r.status.clone());
            rec.push(r.evidence.join("; "));
            rec.push(r.commands.join("\n"));
            w.write_record(&rec).map_err(err)?;
        }
        w.into_inner().map_err(|e| RenderError::Serialize {
            what: "control-matrix.csv".into(),
            message: e.to_string(),
        })
    }

    /// The same rows as JSON.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut controls = Map::new();
                for (col, ctl) in self.columns.iter().zip(&r.controls) {
                    controls.insert(
                        col.id.clone(),
                        Value::from(ctl.iter().map(|c| c.id.clone()).collect::<Vec<_>>()),
                    );
                }
                json!({
                    "check": r.check,
                    "title": r.title,
                    "kubernetesResource": r.resource,
                    "controls": controls,
                    "status": r.status,
                    "evidenceLocation": r.evidence,
                    "commands": r.commands,
                    "anchor": r.anchor,
                })
            })
            .collect();
        json!({
            "formatVersion": 1,
            "packetId": self.packet_id,
            "frameworks": self.columns.iter().map(|c| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
            "rows": rows,
        })
    }
}
