//! A scorer component that misbehaves in the way its feature says, so the
//! host's sandbox can be tested against real hostile guests:
//! `infinite-loop`, `memory-bomb`, `panic`, `reads-files` (imports
//! `wasi:filesystem`), `opens-socket` (imports `wasi:sockets`),
//! `lies-about-version` (says v99), `panics-on-boom` (traps on some leads
//! only, so it installs) and `wrong-world` (not a scorer).
//! Built only for `wasm32-wasip2` (by the host's tests).

#[cfg(all(target_arch = "wasm32", not(feature = "wrong-world")))]
mod component {
    wit_bindgen::generate!({ path: "../../wit", world: "scorer" });

    struct Hostile;

    impl Guest for Hostile {
        fn model_info() -> ModelInfo {
            let version = if cfg!(feature = "lies-about-version") { "v99" } else { "hostile" };
            ModelInfo {
                name: "lead-scorer".into(),
                version: version.into(),
                objective: "binary:logistic".into(),
                link: Link::Logistic,
                features: vec![],
                bands: Bands { hot: 80, cold: 40 },
                num_trees: 0,
                base_value: 0.0,
            }
        }

        fn score(leads: Vec<Lead>) -> Vec<Result<ScoredLead, ScoreError>> {
            misbehave();
            if cfg!(feature = "panics-on-boom") && leads.iter().any(|l| l.id.contains("boom")) {
                panic!("boom");
            }
            leads
                .into_iter()
                .map(|lead| {
                    Ok(ScoredLead {
                        lead_id: lead.id,
                        final_score: 50,
                        probability: 0.5,
                        band: Band::Warm,
                        confidence: 1.0,
                        margin: 0.0,
                        model_version: "hostile".into(),
                        explanation: Err("hostile".into()),
                    })
                })
                .collect()
        }
    }

    fn misbehave() {
        if cfg!(feature = "infinite-loop") {
            let mut spins = 0u64;
            loop {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
        }
        if cfg!(feature = "memory-bomb") {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        if cfg!(feature = "panic") {
            panic!("a hostile scorer panics");
        }
        #[cfg(feature = "reads-files")]
        {
            let _ = std::fs::read("/etc/passwd");
        }
        #[cfg(feature = "opens-socket")]
        {
            let network = wasip2::sockets::instance_network::instance_network();
            let _ =
                wasip2::sockets::tcp_create_socket::create_tcp_socket(wasip2::sockets::network::IpAddressFamily::Ipv4);
            drop(network);
        }
    }

    export!(Hostile);
}

/// A well-formed component of another world: it must be refused because it
/// does not export `score` and `model-info`.
#[cfg(all(target_arch = "wasm32", feature = "wrong-world"))]
mod component {
    wit_bindgen::generate!({
        inline: "package hostile:greeter@0.1.0; world greeter { export greet: func(name: string) -> string; }",
    });

    struct Greeter;

    impl Guest for Greeter {
        fn greet(name: String) -> String {
            format!("hello, {name}")
        }
    }

    export!(Greeter);
}
