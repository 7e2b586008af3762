//! The page frame every page shares. Pages are written with maud: markup as Rust, every
//! interpolated value escaped unless it is itself markup.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::platform::Mode;

/// A whole page around `body`, titled `title`. A development platform says so at the foot
/// of every page.
pub fn page(mode: Mode, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { (title) " · 产品质量分级 qgrade" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "目录 Catalog" }
                    a href="/exposure" { "曝光 Exposure" }
                    form action="/search" method="get" {
                        input name="q" placeholder="证书编号、企业或信用代码 certificate, enterprise or credit code";
                        " "
                        button { "查询 Search" }
                    }
                }
                main { (body) }
                @match mode {
                    Mode::Development => footer.dev #mode data-mode="development" {
                        "开发模式：本平台信任开发用发布者，其密钥公开，证书不具证明效力。 DEVELOPMENT MODE: this platform trusts the development publisher, whose key is public; its certificates prove nothing."
                    },
                    Mode::Production => footer.muted #mode data-mode="production" {
                        "证书可离线验证 Certificates can be verified offline: "
                        a href="/api/v1/log/key" { "日志公钥 log key" }
                    },
                }
            }
        }
    }
    .into_string()
}

/// The pages' one style sheet.
const STYLE: &str = r#"
body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1b1b1b; }
header a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; overflow-wrap: anywhere; }
th { overflow-wrap: normal; }
table.indicators { font-size: .9rem; }
table.indicators th, table.indicators td { padding: .3rem .25rem; }
table.indicators th { overflow-wrap: anywhere; }
table.indicators td:nth-child(3) { white-space: nowrap; }
code { overflow-wrap: anywhere; word-break: break-all; }
abbr.approx { color: #a14f00; font-weight: 700; text-decoration: none; cursor: help; }
.next { color: #1b1b1b; }
.scroll { overflow-x: auto; } table.ladder td { white-space: nowrap; } table.ladder td:first-child { white-space: normal; min-width: 9rem; }
abbr.verified { color: #00703c; text-decoration: none; } abbr.baseline { color: #555; text-decoration: none; }
@media (max-width: 30rem) { table { font-size: .85rem; } th, td { padding: .3rem .25rem; } body { padding: .6rem; } }
.grade { font-size: 2.2rem; font-weight: 700; letter-spacing: .1em; color: #00703c; }
.revoked { background: #b00020; color: #fff; padding: .8rem 1rem; font-size: 1.3rem; font-weight: 700; }
.superseded { border-left: 4px solid #8a5a00; background: #fff6e0; color: #3d2800; padding: .6rem 1rem; }
.bar { display: inline-block; height: .8rem; background: #0b5; vertical-align: middle; }
.tally { white-space: nowrap; } svg.mark { vertical-align: middle; }
.muted { color: #666; font-size: .9rem; }
tr.group th { background: #f2f5f3; padding-top: .6rem; }
footer { margin-top: 2rem; padding-top: .5rem; border-top: 1px solid #ddd; }
.dev { background: #fff3cd; color: #5c4400; padding: .6rem .8rem; }
form { margin: 1rem 0; } input { font-size: 1rem; padding: .3rem; width: 60%; }
"#;
