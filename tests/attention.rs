//! MultiheadAttention and TransformerEncoderLayer against PyTorch (checkpoints, outputs,
//! attention weights, input and parameter gradients in f64; fixtures from
//! `scripts/gen_attention_fixtures.py`), and scaled_dot_product_attention's masks.

use crate::common::{
    assert_close, assert_param_grads, assert_state_names, fixture_json, fixture_path, floats, shape,
};
use serde_json::Value;
use tapegrad::nn::{MultiheadAttention, TransformerEncoderLayer};
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn check<M: Module<f64>>(
    name: &str,
    model: &M,
    run: impl Fn(&M, &[Tensor<f64>]) -> Vec<(&'static str, Tensor<f64>)>,
) {
    let json: Value = fixture_json("attention.json");
    let case = &json["models"][name];
    assert_state_names(name, model, &case["names"]);
    model
        .load_safetensors(fixture_path(&format!("attn_{name}.safetensors")))
        .unwrap();
    let inputs: Vec<Tensor<f64>> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let shape = shape(&i["shape"]);
            Tensor::from_vec(floats(&i["data"]), &shape).requires_grad()
        })
        .collect();
    let outputs = run(model, &inputs);
    let mut loss = Tensor::scalar(0.0);
    for (key, t) in &outputs {
        assert_close(
            &format!("{name} {key}"),
            &t.to_vec(),
            &floats(&case["outputs"][*key]),
            1e-10,
        );
        loss = loss + t.square().sum();
    }
    loss.backward();
    for (i, x) in inputs.iter().enumerate() {
        let want = floats(&case["input_grads"][i]);
        assert_close(
            &format!("{name} input {i} grad"),
            &x.grad().unwrap().to_vec(),
            &want,
            1e-9,
        );
    }
    assert_param_grads(name, model, &case["grads"], 1e-9);
}

#[test]
fn a_sample_whose_keys_are_all_padding_attends_to_nothing_without_nan() {
    // PyTorch (need_weights=False, through scaled_dot_product_attention) gives zeros before
    // the output projection there; a NaN would reach every parameter's gradient.
    let mut rng = StdRng::seed_from_u64(1);
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut rng).batch_first(true);
    let x = Tensor::<f64>::randn(&[2, 3, 4], &mut rng).requires_grad();
    let padding = Tensor::from_vec(vec![true, true, true, false, false, true], &[2, 3]);
    let (out, _) = mha.forward_qkv(&x, &x, &x, Some(&padding), None, false);
    let bias = mha.out_proj.bias.as_ref().unwrap().to_vec();
    for row in 0..3 {
        assert_eq!(
            out.i((0, row)).to_vec(),
            bias,
            "sample 0 is the output bias alone"
        );
    }
    assert!(out.i(1).to_vec().iter().all(|v| v.is_finite() && *v != 0.0));
    out.square().sum().backward();
    for (name, p) in mha.named_parameters() {
        let g = p.grad().unwrap().to_vec();
        assert!(g.iter().all(|v| v.is_finite()), "{name}: {g:?}");
    }
    assert!(x.grad().unwrap().to_vec().iter().all(|v| v.is_finite()));
}

#[test]
fn multihead_attention_with_a_padding_mask_matches_pytorch() {
    let mha = MultiheadAttention::<f64>::new(8, 2, &mut StdRng::seed_from_u64(0)).batch_first(true);
    let padding = Tensor::from_vec(
        vec![false, false, true, false, false, false, false, false],
        &[2, 4],
    );
    check("mha", &mha, |m, x| {
        let (out, w) = m.forward_qkv(&x[0], &x[1], &x[2], Some(&padding), None, true);
        vec![("out", out), ("weights", w.unwrap())]
    });
}

#[test]
fn transformer_encoder_layers_match_pytorch() {
    let causal = Tensor::<f64>::ones(&[5, 5]).triu(1).gt(0.0);
    for (name, norm_first) in [("encoder", false), ("encoder_pre", true)] {
        let layer = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut StdRng::seed_from_u64(0))
            .dropout(0.0)
            .norm_first(norm_first);
        check(name, &layer, |m, x| {
            vec![("out", m.forward_with_mask(&x[0], Some(&causal), None))]
        });
    }
}

#[test]
fn sdpa_masks_follow_pytorchs_conventions() {
    use tapegrad::nn::functional::scaled_dot_product_attention as sdpa;
    let mut rng = StdRng::seed_from_u64(1);
    let q = Tensor::<f64>::randn(&[2, 3, 4], &mut rng);
    let k = Tensor::<f64>::randn(&[2, 3, 4], &mut rng);
    let v = Tensor::<f64>::randn(&[2, 3, 5], &mut rng);
    // is_causal equals an explicit lower-triangular "may attend" mask.
    let lower = Tensor::<f64>::ones(&[3, 3]).tril(0).gt(0.0);
    let a = sdpa(&q, &k, &v, None, 0.0, true);
    let b = sdpa(&q, &k, &v, Some(&lower), 0.0, false);
    assert!(a.allclose(&b, 1e-12, 1e-12));
    // The first query sees only the first key: its output is v's first row.
    assert!(a.i((.., 0)).allclose(&v.i((.., 0)), 1e-12, 1e-12));
}

#[test]
fn eval_reaches_the_dropout_inside_attention_layers() {
    let mut layer = TransformerEncoderLayer::<f32>::new(8, 2, 16, &mut StdRng::seed_from_u64(0));
    assert!(layer.is_training() && layer.self_attn.is_training());
    layer.eval();
    assert!(!layer.is_training() && !layer.self_attn.is_training());
    let x = Tensor::randn(&[4, 2, 8], &mut StdRng::seed_from_u64(2));
    assert_eq!(layer.forward(&x).to_vec(), layer.forward(&x).to_vec());
}
