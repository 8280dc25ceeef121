//! `keel params`: the plugin's parameter list, as the command line and presets spell it.

use super::error::CliResult;
use keel_core::params::{ParamInfo, ParamKind, ParamTable, ParamValue};
use clap::Args;
use serde_json::{Map, Value, json};

#[derive(Args, Debug)]
pub struct ParamsArgs {
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One parameter as a JSON object (schema in docs/cli.md).
pub fn param_json(info: &ParamInfo) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(info.id));
    object.insert("name".into(), json!(info.name));
    object.insert("group".into(), json!(info.group));
    object.insert("unit".into(), json!(info.unit));
    match &info.kind {
        ParamKind::Float { min, max, .. } => {
            object.insert("kind".into(), json!("float"));
            object.insert("min".into(), info.to_json(ParamValue::Float(*min)));
            object.insert("max".into(), info.to_json(ParamValue::Float(*max)));
        }
        ParamKind::Bool => {
            object.insert("kind".into(), json!("bool"));
        }
        ParamKind::Enum { ids, names } => {
            object.insert("kind".into(), json!("enum"));
            object.insert("values".into(), json!(ids));
            object.insert("value_names".into(), json!(names));
        }
    }
    object.insert("default".into(), info.to_json(info.default));
    Value::Object(object)
}

pub fn run(args: &ParamsArgs) -> CliResult<()> {
    let table = ParamTable::new();
    if args.json {
        let list: Vec<Value> = table.entries().iter().map(param_json).collect();
        println!("{}", serde_json::to_string_pretty(&json!({ "params": list })).unwrap_or_default());
        return Ok(());
    }
    let id_width = table.entries().iter().map(|i| i.id.len()).max().unwrap_or(2);
    let name_width = table.entries().iter().map(|i| i.name.len()).max().unwrap_or(4);
    println!("{:id_width$}  {:name_width$}  {:>10}  range", "id", "name", "default");
    for info in table.entries() {
        println!(
            "{:id_width$}  {:name_width$}  {:>10}  {}",
            info.id,
            info.name,
            info.format(info.default),
            info.range_text()
        );
    }
    Ok(())
}
