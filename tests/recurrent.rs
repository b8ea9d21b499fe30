//! Rnn, Gru, Lstm and their cells against PyTorch: each model's state_dict, saved by PyTorch,
//! loads strictly; outputs, final states, input and parameter gradients match in f64
//! (fixtures from `scripts/gen_rnn_fixtures.py`).

use crate::common::{
    assert_close, assert_param_grads, assert_state_names, fixture_json, fixture_path, floats, shape,
};
use serde_json::Value;
use tapegrad::nn::{Gru, GruCell, Lstm, LstmCell, Rnn, RnnCell};
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

/// Loads `model` from PyTorch's file, runs `run` (input → (loss, named outputs)), and
/// checks everything against the fixture.
fn check<M: Module<f64>>(
    name: &str,
    model: &M,
    run: impl Fn(&M, &Tensor<f64>) -> Vec<(&'static str, Tensor<f64>)>,
) {
    let json: Value = fixture_json("rnn.json");
    let case = &json["models"][name];
    assert_state_names(name, model, &case["names"]);
    model
        .load_safetensors(fixture_path(&format!("rnn_{name}.safetensors")))
        .unwrap();
    let shape = shape(&case["input"]["shape"]);
    let x = Tensor::from_vec(floats(&case["input"]["data"]), &shape).requires_grad();
    let outputs = run(model, &x);
    let mut loss = Tensor::scalar(0.0);
    for (key, t) in &outputs {
        let want = floats(&case["outputs"][*key]);
        assert_close(&format!("{name} {key}"), &t.to_vec(), &want, 1e-10);
        loss = loss + t.square().sum();
    }
    loss.backward();
    let gx = x.grad().unwrap().to_vec();
    assert_close(
        &format!("{name} input grad"),
        &gx,
        &floats(&case["input_grad"]),
        1e-9,
    );
    assert_param_grads(name, model, &case["grads"], 1e-9);
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(0)
}

#[test]
fn lstm_two_layers_bidirectional_batch_first_matches_pytorch() {
    let m = Lstm::<f64>::new(3, 4, &mut rng())
        .num_layers(2)
        .batch_first(true)
        .bidirectional(true);
    check("lstm", &m, |m, x| {
        let (out, (h, c)) = m.forward_with_state(x, None);
        vec![("out", out), ("h", h), ("c", c)]
    });
}

#[test]
fn gru_two_layers_matches_pytorch() {
    let m = Gru::<f64>::new(3, 4, &mut rng()).num_layers(2);
    check("gru", &m, |m, x| {
        let (out, h) = m.forward_with_state(x, None);
        vec![("out", out), ("h", h)]
    });
}

#[test]
fn rnn_bidirectional_unbatched_matches_pytorch() {
    let m = Rnn::<f64>::new(3, 4, &mut rng()).bidirectional(true);
    check("rnn", &m, |m, x| {
        let (out, h) = m.forward_with_state(x, None);
        vec![("out", out), ("h", h)]
    });
}

#[test]
fn cells_match_pytorch() {
    check(
        "lstm_cell",
        &LstmCell::<f64>::new(3, 4, &mut rng()),
        |m, x| {
            let (h, c) = m.forward_with_state(x, None);
            vec![("h", h), ("c", c)]
        },
    );
    check(
        "gru_cell",
        &GruCell::<f64>::new(3, 4, &mut rng()),
        |m, x| vec![("h", m.forward_with_state(x, None))],
    );
    check(
        "rnn_cell",
        &RnnCell::<f64>::new(3, 4, &mut rng()),
        |m, x| vec![("h", m.forward(x))],
    );
}

#[test]
fn a_given_initial_state_is_used_and_shapes_are_checked() {
    let m = Gru::<f64>::new(2, 3, &mut rng());
    let x = Tensor::ones(&[4, 1, 2]);
    let (_, h_zero) = m.forward_with_state(&x, None);
    let (_, h_one) = m.forward_with_state(&x, Some(Tensor::ones(&[1, 1, 3])));
    assert_ne!(h_zero.to_vec(), h_one.to_vec());
    // Running step by step with the returned state equals one run over the sequence.
    let (_, h_a) = m.forward_with_state(&x.narrow(0, 0, 2), None);
    let (_, h_b) = m.forward_with_state(&x.narrow(0, 2, 2), Some(h_a));
    let diff = (&h_b - &h_zero).abs().max().item();
    assert!(diff < 1e-12, "{diff}");
}

#[test]
#[should_panic(expected = "tapegrad: Lstm: expects input [L, N, 3]")]
fn a_wrong_input_size_panics() {
    Lstm::<f32>::new(3, 4, &mut rng()).forward(&Tensor::ones(&[5, 2, 7]));
}

#[test]
fn cells_take_one_unbatched_sample_and_name_a_wrong_input_at_the_callers_line() {
    let mut rng = StdRng::seed_from_u64(9);
    let x = Tensor::<f64>::randn(&[3], &mut rng);
    let h = Tensor::<f64>::randn(&[4], &mut rng);
    let rnn = nn::RnnCell::<f64>::new(3, 4, &mut rng);
    let one = rnn.forward_with_state(&x, Some(h.clone()));
    let batch = rnn.forward_with_state(&x.unsqueeze(0), Some(h.unsqueeze(0)));
    assert_eq!(
        (one.shape(), one.to_vec()),
        (&[4][..], batch.squeeze(0).to_vec())
    );
    let gru = nn::GruCell::<f64>::new(3, 4, &mut rng);
    let one = gru.forward_with_state(&x, Some(h.clone()));
    let batch = gru.forward_with_state(&x.unsqueeze(0), Some(h.unsqueeze(0)));
    assert_eq!(one.to_vec(), batch.squeeze(0).to_vec());
    assert_eq!(gru.forward(&x).shape(), &[4]);
    let lstm = nn::LstmCell::<f64>::new(3, 4, &mut rng);
    let (h1, c1) = lstm.forward_with_state(&x, Some((h.clone(), h.clone())));
    let (hb, cb) = lstm.forward_with_state(&x.unsqueeze(0), Some((h.unsqueeze(0), h.unsqueeze(0))));
    assert_eq!(
        (h1.to_vec(), c1.to_vec()),
        (hb.squeeze(0).to_vec(), cb.squeeze(0).to_vec())
    );

    let line = line!() + 1;
    let at = crate::common::panic_location(|| drop(gru.forward(&Tensor::zeros(&[2, 5]))));
    assert!(
        at.starts_with(&format!("tests/recurrent.rs:{line}")),
        "{at}"
    );
}
