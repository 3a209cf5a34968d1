#![allow(dead_code)]
pub mod fault_server;
