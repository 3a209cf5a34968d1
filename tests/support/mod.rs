#![allow(dead_code)]
pub mod args;
pub mod bin;
pub mod fault_server;
pub mod items;
pub mod vital;
