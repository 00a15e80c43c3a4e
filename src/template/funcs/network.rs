//! Sprig's network family: `getHostByName`.
//!
//! Sprig resolves the name and returns one of its addresses at random. When the lookup finds
//! nothing (offline, unknown name) Sprig calls `rand.Intn(0)`, which panics; Helm reports
//! that as the error "invalid argument to Intn", and so do we.

use std::net::ToSocketAddrs;

use rand::Rng;

use super::convert::{expect_args, expect_string};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("getHostByName", get_host_by_name);
}

fn get_host_by_name(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("getHostByName", args, 1)?;
    let name = expect_string("getHostByName", &args[0])?;
    let mut addrs: Vec<String> = Vec::new();
    if let Ok(resolved) = (name.as_ref(), 0u16).to_socket_addrs() {
        for addr in resolved {
            let ip = addr.ip().to_string();
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
    }
    if addrs.is_empty() {
        return Err(FuncError::new("invalid argument to Intn"));
    }
    let pick = rand::thread_rng().gen_range(0..addrs.len());
    Ok(Value::string(addrs.swap_remove(pick)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_addresses_resolve_to_themselves() {
        let v = get_host_by_name(&[Value::str("127.0.0.1")]).unwrap();
        assert_eq!(v.to_string(), "127.0.0.1");
    }

    #[test]
    fn unresolvable_names_fail_like_helm() {
        let err = get_host_by_name(&[Value::str("")]).unwrap_err();
        assert_eq!(err.message, "invalid argument to Intn");
        assert!(get_host_by_name(&[]).is_err());
    }
}
