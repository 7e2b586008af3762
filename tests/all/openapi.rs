//! The OpenAPI document describes what is served: every JSON body has its full schema
//! (generated from the wire types), the answers the platform gives conform to the schemas
//! it documents, a body that does not fit is a 4xx naming the field, and every submission
//! the general rules' parser accepts fits the documented submission shape.

use axum::http::StatusCode;
use qgrade::{
    grading::{Submission, VectorSet},
    wire::SubmissionShape,
};
use serde_json::{Value, json};

use crate::harness::{
    ADMIN, Db, World, call, call_raw, grading_request, root, run, sample_path, scene,
};

#[test]
fn every_json_body_has_its_schema() {
    run(Db::Sqlite, |w| async move {
        let doc = document(&w).await;
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for (method, op) in operations.as_object().unwrap() {
                let mut schemas = Vec::new();
                if let Some(s) = op["requestBody"]["content"].get("application/json") {
                    schemas.push(("request", &s["schema"]));
                }
                for (status, response) in op["responses"].as_object().unwrap() {
                    if let Some(s) = response["content"].get("application/json") {
                        schemas.push((status.as_str(), &s["schema"]));
                    }
                }
                for (what, schema) in schemas {
                    let resolved = resolve(&doc, schema);
                    assert!(
                        resolved["properties"]
                            .as_object()
                            .is_some_and(|p| !p.is_empty()),
                        "{method} {path} {what}: {schema} has no properties"
                    );
                }
            }
        }
        // The bodies an integrator most needs, by name.
        for name in ["Certificate", "Graded", "Error", "GradingRequest"] {
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "components.schemas.{name}"
            );
        }
        // An answer links to what it leads to: a new certificate to every operation on a
        // certificate's number, a published module to its artifact and vectors, a new
        // account to its token and revocation (what a stateful fuzzer follows).
        let links = |path: &str, method: &str, status: &str| -> Vec<String> {
            let mut ids: Vec<String> = doc["paths"][path][method]["responses"][status]["links"]
                .as_object()
                .map(|l| l.keys().cloned().collect())
                .unwrap_or_default();
            ids.sort();
            ids
        };
        let from_certificate = links("/api/v1/gradings", "post", "201");
        for id in [
            "get_certificates__number_",
            "get_certificates__number__bundle",
            "get_certificates__number__label",
            "post_certificates__number__revocation",
            "post_certificates__number__spot-checks",
        ] {
            assert!(
                from_certificate.contains(&id.to_string()),
                "{from_certificate:?}"
            );
        }
        assert!(
            links("/api/v1/modules", "post", "201")
                .contains(&"get_modules__product___version_".to_string()),
            "{:?}",
            links("/api/v1/modules", "post", "201")
        );
        assert!(
            links("/api/v1/accounts", "post", "201")
                .contains(&"post_accounts__id__token".to_string())
        );
        // The submission's fields stand beside the envelope's, as a request carries them.
        let request = &doc["components"]["schemas"]["GradingRequest"];
        for field in ["enterprise", "model", "product", "measurements", "report"] {
            assert!(request["properties"][field].is_object(), "{request:#}");
        }
        std::fs::write(
            "/tmp/openapi.json",
            serde_json::to_string_pretty(&doc).unwrap(),
        )
        .ok();
        // Query parameters are documented from the types the handlers read them into.
        let query = |path: &str| -> Vec<String> {
            let op = &doc["paths"][format!("/api/v1{path}")]["get"];
            let mut names: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            names.sort();
            names
        };
        assert_eq!(
            query("/certificates"),
            [
                "credit_code",
                "cursor",
                "enterprise",
                "gtin",
                "limit",
                "product",
                "status"
            ]
        );
        assert_eq!(query("/exposure"), ["cursor", "limit"]);
        assert_eq!(query("/certificates/{number}/label"), ["format", "size"]);
        assert_eq!(query("/log/consistency"), ["from", "to"]);
        assert_eq!(query("/log/entries"), ["end", "start"]);
        let from = &doc["paths"]["/api/v1/log/consistency"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "from")
            .unwrap()
            .clone();
        assert_eq!(
            (from["required"].clone(), from["schema"]["type"].clone()),
            (json!(true), json!("integer"))
        );
        assert_refs_resolve(&doc, &doc);
    });
}

#[test]
fn every_body_has_an_example_that_fits_its_schema() {
    run(Db::Sqlite, |w| async move {
        let doc = document(&w).await;
        let mut bodies = 0;
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for (method, op) in operations.as_object().unwrap() {
                let request = op["requestBody"]["content"].get("application/json");
                let responses = op["responses"].as_object().unwrap().values();
                for body in request
                    .into_iter()
                    .chain(responses.filter_map(|r| r["content"].get("application/json")))
                {
                    let schema = resolve(&doc, &body["schema"]);
                    let examples = schema["examples"].as_array();
                    assert!(
                        examples.is_some_and(|e| !e.is_empty()),
                        "{method} {path}: {} has no example",
                        body["schema"]
                    );
                    for example in examples.into_iter().flatten() {
                        conforms(&doc, schema, example, &format!("{method} {path}"))
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                    bodies += 1;
                }
            }
        }
        assert!(bodies > 40, "only {bodies} bodies");
        // No example stands for a schema the document no longer has.
        let examples: serde_json::Map<String, Value> =
            serde_json::from_str(qgrade::http::openapi::EXAMPLES).unwrap();
        for name in examples.keys() {
            assert!(
                doc["components"]["schemas"][name]["examples"].is_array(),
                "examples.json names {name}, which the document does not have"
            );
        }
        // The examples are checked, not merely present: one that contradicts its schema is
        // found.
        let mut wrong = examples["Certificate"].clone();
        wrong["grade"] = json!("AAAAAA");
        let certificate = json!({ "$ref": "#/components/schemas/Certificate" });
        assert!(conforms(&doc, &certificate, &wrong, "a wrong grade").is_err());
        wrong = examples["Certificate"].clone();
        wrong["colour"] = json!("green");
        assert!(conforms(&doc, &certificate, &wrong, "an undocumented field").is_err());
    });
}

#[test]
fn answers_conform_to_their_schemas() {
    run(Db::Sqlite, |w| async move {
        let doc = document(&w).await;
        let s = scene(&w).await;
        let ok = |path: &str, method: &str, status: &str| {
            doc["paths"][format!("/api/v1{path}")][method]["responses"][status]["content"]
                ["application/json"]["schema"]
                .clone()
        };
        let check = |schema: Value, answer: &Value, what: &str| {
            conforms(&doc, &schema, answer, what).unwrap_or_else(|e| panic!("{e}\n{answer:#}"));
        };

        let (status, certificate) = call(
            &s.app,
            "POST",
            "/api/v1/gradings",
            Some(&s.lab),
            Some(grading_request(|_| {})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        check(
            ok("/gradings", "post", "201"),
            &certificate,
            "a certificate",
        );
        let (status, not_graded) = call(
            &s.app,
            "POST",
            "/api/v1/gradings",
            Some(&s.lab),
            Some(grading_request(|r| {
                r["measurements"]["odour"] = json!(false)
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{not_graded}");
        check(
            ok("/gradings", "post", "200"),
            &not_graded,
            "a result not graded",
        );

        let number = certificate["number"].as_str().unwrap();
        s.revoke(number).await;
        for (path, documented) in [
            (format!("/certificates/{number}"), "/certificates/{number}"),
            (
                format!("/certificates/{number}/proof"),
                "/certificates/{number}/proof",
            ),
            (
                format!("/certificates/{number}/bundle"),
                "/certificates/{number}/bundle",
            ),
            ("/certificates?product=down-jacket".into(), "/certificates"),
            ("/exposure".into(), "/exposure"),
            ("/statistics".into(), "/statistics"),
            ("/catalog".into(), "/catalog"),
            ("/catalog/revisions".into(), "/catalog/revisions"),
            ("/modules/down-jacket".into(), "/modules/{product}"),
            ("/log/consistency?from=1&to=2".into(), "/log/consistency"),
            ("/log/entries?start=0&end=5".into(), "/log/entries"),
        ] {
            let (status, answer) = call(&s.app, "GET", &format!("/api/v1{path}"), None, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {answer}");
            check(ok(documented, "get", "200"), &answer, &path);
        }
        let ctes = crate::harness::account(&s.app, "ctes-two", "publisher", Some("ctes")).await;
        let (status, published) =
            crate::harness::publish(&s.app, &ctes, crate::harness::down_jacket(&w.ctes_key)).await;
        assert_eq!(status, StatusCode::OK, "the same bytes again: {published}");
        check(ok("/modules", "post", "200"), &published, "a publication");

        let (status, created) = call(
            &s.app,
            "POST",
            "/api/v1/accounts",
            Some(ADMIN),
            Some(json!({ "id": "lab-two", "name": "Lab two", "role": "lab" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        check(ok("/accounts", "post", "201"), &created, "a new account");

        let (status, error) = call(&s.app, "GET", "/api/v1/certificates/QG0", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        check(
            ok("/certificates/{number}", "get", "404"),
            &error,
            "an error",
        );
    });
}

#[test]
fn a_body_that_does_not_fit_is_refused_naming_its_field() {
    run(Db::Sqlite, |w| async move {
        let s = scene(&w).await;
        let refused = |status: StatusCode, answer: &Value, field: &str| {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(answer["error"]["field"], field, "{answer}");
        };
        let (status, answer) = call(
            &s.app,
            "POST",
            "/api/v1/accounts",
            Some(ADMIN),
            Some(json!({ "id": "x", "name": "y" })),
        )
        .await;
        refused(status, &answer, "role");
        let (status, answer) = call(
            &s.app,
            "POST",
            "/api/v1/gradings",
            Some(&s.lab),
            Some(grading_request(|r| {
                r["enterprise"] = json!({ "name": "波司登" });
            })),
        )
        .await;
        refused(status, &answer, "enterprise.credit_code");
        let (status, answer) = call(
            &s.app,
            "POST",
            "/api/v1/certificates/QG0/revocation",
            Some(&s.inspector),
            Some(json!({ "reason": 1 })),
        )
        .await;
        refused(status, &answer, "reason");

        // Not JSON at all, and JSON under another name: 400 and 415, both in the error body.
        let (status, answer) = call_raw(
            &s.app,
            "POST",
            "/api/v1/accounts",
            Some(ADMIN),
            Some(b"{\"id\":".to_vec()),
            "application/json",
        )
        .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_json"))
        );
        let (status, answer) = call_raw(
            &s.app,
            "POST",
            "/api/v1/accounts",
            Some(ADMIN),
            Some(br#"{"id": "x", "name": "y", "role": "lab"}"#.to_vec()),
            "text/plain",
        )
        .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            )
        );
    });
}

#[test]
fn every_refusal_is_the_error_body() {
    run(Db::Sqlite, |w| async move {
        let app = crate::harness::app(&w).await;
        let long = format!("/api/v1/certificates?product={}", "x".repeat(9_000));
        for (method, path, status, code) in [
            (
                "PUT",
                "/api/v1/catalog",
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            ),
            (
                "GET",
                "/api/v1/modules/no-such-product",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                "GET",
                "/api/v1/no-such-endpoint",
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                "GET",
                long.as_str(),
                StatusCode::URI_TOO_LONG,
                "uri_too_long",
            ),
        ] {
            let (got, answer) = call(&app, method, path, None, None).await;
            assert_eq!(
                (got, answer["error"]["code"].as_str()),
                (status, Some(code)),
                "{method} {}: {answer}",
                &path[..path.len().min(60)]
            );
        }
    });
}

#[test]
fn every_submission_the_parser_accepts_fits_the_documented_shape() {
    let mut accepted = 0;
    for product in qgrade::pilot_modules() {
        let sample: Value =
            serde_json::from_str(&std::fs::read_to_string(sample_path(product)).unwrap()).unwrap();
        let text =
            std::fs::read_to_string(root().join("plugins").join(product).join("vectors.json"))
                .unwrap();
        let set = VectorSet::from_json(&text).unwrap();
        let submissions =
            std::iter::once(sample).chain(set.vectors.iter().map(|v| set.submission(v).0));
        for submission in submissions {
            if Submission::from_value(&submission).is_ok() {
                serde_json::from_value::<SubmissionShape>(submission.clone())
                    .unwrap_or_else(|e| panic!("{product}: {e}\n{submission:#}"));
                accepted += 1;
            }
        }
    }
    assert!(accepted > 300, "only {accepted} submissions were accepted");
}

async fn document(w: &World) -> Value {
    let app = crate::harness::app(w).await;
    let (status, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    doc
}

/// A schema with its `$ref` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let target = doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} does not resolve"));
            resolve(doc, target)
        }
        None => schema,
    }
}

fn assert_refs_resolve(doc: &Value, at: &Value) {
    match at {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                resolve(doc, at);
                assert!(
                    reference.starts_with("#/components/schemas/"),
                    "{reference}"
                );
            }
            map.values().for_each(|v| assert_refs_resolve(doc, v));
        }
        Value::Array(items) => items.iter().for_each(|v| assert_refs_resolve(doc, v)),
        _ => {}
    }
}

/// Whether `value` conforms to `schema`, for the parts of JSON Schema that schemars
/// writes: `$ref`, `type`, `enum`, `properties` with `required` and `additionalProperties`,
/// `items`, `anyOf` / `oneOf`. Every property an answer carries must be documented.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    for key in ["anyOf", "oneOf"] {
        if let Some(choices) = schema[key].as_array()
            && !choices.iter().any(|c| conforms(doc, c, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches none of {key} {schema}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types
            .iter()
            .any(|t| *t == kind || (*t == "number" && kind == "integer"));
        if !fits {
            return Err(format!("{at}: {value} is {kind}, not {types:?}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Value::Object(map) = value {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !map.contains_key(name) {
                return Err(format!("{at}: the required {name} is missing"));
            }
        }
        for (key, item) in map {
            let at = format!("{at}.{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(property) => conforms(doc, property, item, &at)?,
                None => match schema.get("additionalProperties") {
                    Some(Value::Object(_)) => {
                        conforms(doc, &schema["additionalProperties"], item, &at)?
                    }
                    _ if properties.is_none() && schema.get("type").is_none() => {}
                    _ => return Err(format!("{at} is not documented")),
                },
            }
        }
    }
    if let (Value::Array(items), Some(each)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, each, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
