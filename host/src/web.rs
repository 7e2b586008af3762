//! What people see: the unified label (统一标识) and the public pages, rendered on the
//! server as plain HTML and SVG written with maud, which escapes every value it splices in
//! (no front-end framework), in Chinese with English beside.

mod html;
pub mod label;
pub mod pages;
pub mod standard;
