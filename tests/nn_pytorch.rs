//! Losses, layers, optimizers and checkpoints against PyTorch (fixtures made by
//! scripts/gen_nn_fixtures.py), and checkpoint failure cases.

use crate::common::{assert_close, floats};
use serde_json::Value;
use tapegrad::optim::LrScheduler;
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/nn.json")).unwrap()
}

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    Tensor::from_vec(floats(&v["data"]), &shape)
}

fn classes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn losses_match_pytorch_in_value_and_gradient() {
    let f = fixture();
    for case in f["losses"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let pred = tensor(&case["pred"]).requires_grad();
        let (loss, target) = match name {
            "cross_entropy" => (loss::cross_entropy(&pred, &classes(&case["classes"])), None),
            "nll" => (loss::nll(&pred, &classes(&case["classes"])), None),
            _ => {
                let target = tensor(&case["target"]).requires_grad();
                let l = match name {
                    "mse" => loss::mse(&pred, &target),
                    "l1" => loss::l1(&pred, &target),
                    "huber" => loss::huber(&pred, &target, 0.7),
                    "bce_with_logits" => loss::bce_with_logits(&pred, &target),
                    other => panic!("unknown loss {other}"),
                };
                (l, Some(target))
            }
        };
        assert_close(
            &format!("{name} value"),
            &[loss.item()],
            &[case["value"].as_f64().unwrap()],
            1e-12,
        );
        loss.backward();
        assert_close(
            &format!("{name} grad"),
            &pred.grad().unwrap().to_vec(),
            &floats(&case["grad_pred"]),
            1e-10,
        );
        if let (Some(t), Some(want)) = (target, case["grad_target"].as_array()) {
            let want: Vec<f64> = want.iter().map(|x| x.as_f64().unwrap()).collect();
            assert_close(
                &format!("{name} target grad"),
                &t.grad().unwrap().to_vec(),
                &want,
                1e-10,
            );
        }
    }
}

#[test]
fn layer_norm_matches_pytorch() {
    let f = fixture();
    let c = &f["layers"]["layer_norm"];
    let ln = nn::LayerNorm::<f64>::new(5);
    ln.weight
        .data_mut()
        .view_mut()
        .assign(&tapegrad::ndarray::arr1(&floats(&c["weight"])).into_dyn());
    ln.bias
        .data_mut()
        .view_mut()
        .assign(&tapegrad::ndarray::arr1(&floats(&c["bias"])).into_dyn());
    let x = tensor(&c["x"]).requires_grad();
    let y = ln.forward(&x);
    assert_close(
        "layer_norm output",
        &y.to_vec(),
        &floats(&c["output"]),
        1e-10,
    );
    y.backward_with(&Tensor::from_vec(floats(&c["upstream"]), &[3, 5]));
    assert_close(
        "layer_norm grad x",
        &x.grad().unwrap().to_vec(),
        &floats(&c["grad_x"]),
        1e-10,
    );
    assert_close(
        "layer_norm grad weight",
        &ln.weight.grad().unwrap().to_vec(),
        &floats(&c["grad_weight"]),
        1e-10,
    );
    assert_close(
        "layer_norm grad bias",
        &ln.bias.grad().unwrap().to_vec(),
        &floats(&c["grad_bias"]),
        1e-10,
    );
}

#[test]
fn embedding_matches_pytorch() {
    let f = fixture();
    let c = &f["layers"]["embedding"];
    let emb = nn::Embedding {
        weight: tensor(&c["weight"]).requires_grad(),
    };
    let ids = Tensor::from_vec(vec![1.0, 4.0, 4.0, 0.0], &[2, 2]);
    let y = emb.forward(&ids);
    assert_eq!(y.shape(), &[2, 2, 3]);
    assert_close(
        "embedding output",
        &y.to_vec(),
        &floats(&c["output"]),
        1e-15,
    );
    y.backward_with(&Tensor::from_vec(floats(&c["upstream"]), &[2, 2, 3]));
    assert_close(
        "embedding grad",
        &emb.weight.grad().unwrap().to_vec(),
        &floats(&c["grad_weight"]),
        1e-12,
    );
}

fn make_optimizer(
    name: &str,
    params: Vec<Tensor<f64>>,
) -> (Box<dyn Optimizer>, Option<Box<dyn LrScheduler>>) {
    use tapegrad::optim::*;
    let opt: Box<dyn Optimizer> = match name {
        "sgd" | "sgd_steplr" => Box::new(Sgd::new(params, 0.1)),
        "sgd_momentum" => Box::new(Sgd::new(params, 0.05).momentum(0.9)),
        "sgd_nesterov_wd" => Box::new(
            Sgd::new(params, 0.05)
                .momentum(0.9)
                .nesterov(true)
                .weight_decay(0.01),
        ),
        "adam" => Box::new(Adam::new(params, 0.01)),
        "adam_custom" => Box::new(
            Adam::new(params, 0.02)
                .betas(0.8, 0.99)
                .eps(1e-6)
                .weight_decay(0.1),
        ),
        "adamw" => Box::new(AdamW::new(params, 0.01).weight_decay(0.1)),
        "rmsprop" => Box::new(RmsProp::new(params, 0.01)),
        "rmsprop_momentum_wd" => {
            Box::new(RmsProp::new(params, 0.01).momentum(0.9).weight_decay(0.01))
        }
        "adam_exponentiallr" => Box::new(Adam::new(params, 0.05)),
        "sgd_cosine" => Box::new(Sgd::new(params, 0.2).momentum(0.5)),
        "adagrad" => Box::new(Adagrad::new(params, 0.1).lr_decay(0.01).weight_decay(0.01)),
        "adadelta" => Box::new(Adadelta::new(params, 1.0).rho(0.8).weight_decay(0.01)),
        "adamax" => Box::new(Adamax::new(params, 0.02)),
        "nadam" => Box::new(NAdam::new(params, 0.01).weight_decay(0.01)),
        "radam" => Box::new(RAdam::new(params, 0.01)),
        "adam_amsgrad" => Box::new(Adam::new(params, 0.01).amsgrad(true)),
        "adamw_amsgrad_max" => Box::new(AdamW::new(params, 0.01).amsgrad(true).maximize(true)),
        "sgd_maximize" => Box::new(Sgd::new(params, 0.01).momentum(0.9).maximize(true)),
        "sgd_linearlr" | "sgd_multistep" | "sgd_sequential" | "sgd_lambda" => {
            Box::new(Sgd::new(params, 0.1))
        }
        "adam_onecycle" | "adam_onecycle_momentum" => Box::new(Adam::new(params, 0.01)),
        "sgd_onecycle" => Box::new(Sgd::new(params, 0.1)),
        "sgd_nesterov_onecycle" => Box::new(Sgd::new(params, 0.1).momentum(0.9).nesterov(true)),
        "nadam_onecycle" => Box::new(NAdam::new(params, 0.01)),
        "rmsprop_onecycle" => Box::new(RmsProp::new(params, 0.01)),
        "rmsprop_maximize" => Box::new(RmsProp::new(params, 0.01).momentum(0.5).maximize(true)),
        "adam_groups" => {
            let mut o = Adam::new(params[..1].to_vec(), 0.01);
            o.add_param_group(
                ParamGroup::new(params[1..].to_vec())
                    .lr(0.05)
                    .weight_decay(0.1),
            );
            Box::new(o)
        }
        "sgd_groups_steplr" => {
            let mut o = Sgd::new(params[..1].to_vec(), 0.1).momentum(0.9);
            o.add_param_group(ParamGroup::new(params[1..].to_vec()).lr(0.02));
            Box::new(o)
        }
        "nadam_groups" => {
            let mut o = NAdam::new(params[..1].to_vec(), 0.01);
            o.add_param_group(ParamGroup::new(params[1..].to_vec()).lr(0.005));
            Box::new(o)
        }
        "sgd_warmrestarts" => Box::new(Sgd::new(params, 0.1).momentum(0.9)),
        other => panic!("unknown optimizer {other}"),
    };
    let o = opt.as_ref();
    let sched: Option<Box<dyn LrScheduler>> = match name {
        "sgd_steplr" | "sgd_groups_steplr" => Some(Box::new(StepLr::new(o, 5, 0.5))),
        "adam_exponentiallr" => Some(Box::new(ExponentialLr::new(o, 0.9))),
        "sgd_cosine" => Some(Box::new(CosineAnnealingLr::new(o, 10, 0.01))),
        "sgd_linearlr" => Some(Box::new(LinearLr::new(o, 0.25, 1.0, 8))),
        "sgd_multistep" => Some(Box::new(MultiStepLr::new(o, &[3, 8, 15], 0.5))),
        "adam_onecycle" => Some(Box::new(OneCycleLr::new(o, 0.05, 25).cycle_momentum(false))),
        // PyTorch's defaults: the momentum (β₁) cycles too.
        "adam_onecycle_momentum" => Some(Box::new(OneCycleLr::new(o, 0.05, 25))),
        "sgd_onecycle" => Some(Box::new(OneCycleLr::new(o, 0.1, 20))),
        "sgd_nesterov_onecycle" => Some(Box::new(OneCycleLr::new(o, 0.1, 20).pct_start(0.25))),
        "nadam_onecycle" => Some(Box::new(
            OneCycleLr::new(o, 0.02, 20)
                .base_momentum(0.8)
                .max_momentum(0.9),
        )),
        "rmsprop_onecycle" => Some(Box::new(OneCycleLr::new(o, 0.01, 20))),
        "sgd_warmrestarts" => Some(Box::new(CosineAnnealingWarmRestarts::new(o, 3, 2, 0.001))),
        "sgd_sequential" => Some(Box::new(SequentialLr::new(
            o,
            vec![
                Box::new(LinearLr::new(o, 0.1, 1.0, 4)),
                Box::new(CosineAnnealingLr::new(o, 12, 0.0)),
            ],
            &[4],
        ))),
        "sgd_lambda" => Some(Box::new(LambdaLr::new(o, |e| 0.95f64.powi(e as i32)))),
        _ => None,
    };
    let mut opt = opt;
    if let Some(s) = &sched {
        // PyTorch's constructors set the first epoch's rate; ours cannot (they borrow).
        opt.set_lr(s.lr());
    }
    (opt, sched)
}

#[test]
fn optimizers_and_schedulers_match_pytorch_after_20_steps() {
    let f = fixture();
    let o = &f["optimizers"];
    let x = Tensor::from_vec(floats(&o["x"]), &[6, 4]);
    let y = Tensor::from_vec(floats(&o["y"]), &[6, 3]);
    let runs = o["runs"].as_object().unwrap();
    assert_eq!(runs.len(), 34);
    for (name, want) in runs {
        let w = Tensor::from_vec(floats(&o["w0"]), &[3, 4]).requires_grad();
        let b = Tensor::from_vec(floats(&o["b0"]), &[3]).requires_grad();
        let (mut opt, mut sched) = make_optimizer(name, vec![w.clone(), b.clone()]);
        let mut lrs = Vec::new();
        for _ in 0..20 {
            opt.zero_grad();
            let loss = loss::mse(&(x.matmul_t(&w) + &b).tanh(), &y);
            loss.backward();
            opt.step();
            if let Some(s) = &mut sched {
                s.step(opt.as_mut());
            }
            lrs.push(opt.lr());
        }
        assert_close(
            &format!("{name} learning rates"),
            &lrs,
            &floats(&want["lrs"]),
            1e-12,
        );
        assert_close(&format!("{name} w"), &w.to_vec(), &floats(&want["w"]), 1e-9);
        assert_close(&format!("{name} b"), &b.to_vec(), &floats(&want["b"]), 1e-9);
    }
}

fn mlp(rng: &mut StdRng) -> nn::Sequential<f32> {
    nn::Sequential::new()
        .add(nn::Linear::new(4, 8, rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(8, 3, rng))
}

#[test]
fn a_pytorch_checkpoint_loads_and_gives_pytorchs_outputs() {
    let f = fixture();
    let c = &f["checkpoint"];
    let model = mlp(&mut StdRng::seed_from_u64(0));
    model
        .load_safetensors("tests/fixtures/mlp.safetensors")
        .unwrap();
    let x: Vec<f32> = floats(&c["x"]).iter().map(|&v| v as f32).collect();
    let y = model.forward(&Tensor::from_vec(x, &[2, 4]));
    let want: Vec<f64> = floats(&c["y"]);
    let got: Vec<f64> = y.to_vec().iter().map(|&v| v as f64).collect();
    assert_close("mlp output", &got, &want, 1e-5);
}

/// A temporary path no other test (tests run in parallel) uses.
fn temp(name: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("tapegrad-test-{}-{n}-{name}", std::process::id()))
}

#[test]
fn checkpoints_round_trip() {
    let a = mlp(&mut StdRng::seed_from_u64(1));
    let b = mlp(&mut StdRng::seed_from_u64(2));
    let path = temp("roundtrip.safetensors");
    a.save_safetensors(&path).unwrap();
    b.load_safetensors(&path).unwrap();
    for ((na, pa), (nb, pb)) in a.named_parameters().iter().zip(b.named_parameters()) {
        assert_eq!(na, &nb);
        assert_eq!(pa.to_vec(), pb.to_vec());
    }
    std::fs::remove_file(path).ok();
}

/// Loads `bytes` as a checkpoint into a fresh model; returns the error and asserts the
/// parameters did not change.
fn failed_load(name: &str, bytes: &[u8]) -> tapegrad::Error {
    let model = mlp(&mut StdRng::seed_from_u64(3));
    let before: Vec<Vec<f32>> = model.parameters().iter().map(|p| p.to_vec()).collect();
    let path = temp(name);
    std::fs::write(&path, bytes).unwrap();
    let err = model.load_safetensors(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    let after: Vec<Vec<f32>> = model.parameters().iter().map(|p| p.to_vec()).collect();
    assert_eq!(
        before, after,
        "{name}: a failed load changed the parameters"
    );
    err
}

/// A checkpoint of `model` with one change, written by tapegrad itself.
fn saved<M: Module<T>, T: tapegrad::Float>(model: &M) -> Vec<u8> {
    let path = temp("source.safetensors");
    model.save_safetensors(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    bytes
}

#[test]
fn a_wrong_name_is_an_error() {
    let other = nn::Sequential::new()
        .add(nn::Linear::<f32>::new(4, 8, &mut StdRng::seed_from_u64(0)))
        .add(nn::Linear::new(8, 3, &mut StdRng::seed_from_u64(0))); // "1.weight", not "2.weight"
    let err = failed_load("name.safetensors", &saved(&other));
    assert!(err.to_string().contains("\"2.weight\" is missing"), "{err}");
}

#[test]
fn a_wrong_shape_is_an_error() {
    let mut rng = StdRng::seed_from_u64(0);
    let other = nn::Sequential::new()
        .add(nn::Linear::<f32>::new(4, 8, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(8, 5, &mut rng));
    let err = failed_load("shape.safetensors", &saved(&other));
    assert!(
        err.to_string()
            .contains("\"2.weight\" has shape [5, 8] in the file but [3, 8]"),
        "{err}"
    );
}

#[test]
fn a_float64_file_loads_into_a_float32_model_by_conversion() {
    // As PyTorch's load_state_dict, which copies into the parameter's dtype.
    let mut rng = StdRng::seed_from_u64(0);
    let other = nn::Sequential::new()
        .add(nn::Linear::<f64>::new(4, 8, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(8, 3, &mut rng));
    let path = temp("f64.safetensors");
    std::fs::write(&path, saved(&other)).unwrap();
    let model = mlp(&mut StdRng::seed_from_u64(3));
    model.load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).ok();
    for (p, q) in model.parameters().iter().zip(other.parameters()) {
        let want: Vec<f32> = q.to_vec().iter().map(|&v| v as f32).collect();
        assert_eq!(p.to_vec(), want);
    }
}

#[test]
fn an_integer_tensor_for_a_float_parameter_is_an_error() {
    let model = mlp(&mut StdRng::seed_from_u64(3));
    let mut tensors: Vec<(String, tapegrad::io::AnyTensor)> = model
        .named_parameters()
        .into_iter()
        .map(|(n, t)| (n, t.into()))
        .collect();
    let shape = tensors[0].1.shape().to_vec();
    tensors[0].1 = Tensor::<i64>::zeros(&shape).into();
    let path = temp("i64.safetensors");
    tapegrad::io::save_safetensors(&path, &tensors).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let err = failed_load("i64.safetensors", &bytes);
    assert!(err.to_string().contains("I64 in the file but F32"), "{err}");
}

#[test]
fn an_extra_tensor_is_an_error() {
    let mut rng = StdRng::seed_from_u64(0);
    let bigger = nn::Sequential::new()
        .add(nn::Linear::<f32>::new(4, 8, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(8, 3, &mut rng))
        .add(nn::Linear::new(3, 3, &mut rng));
    let err = failed_load("extra.safetensors", &saved(&bigger));
    assert!(
        err.to_string()
            .contains("\"3.bias\", which the model does not"),
        "{err}"
    );
}

#[test]
fn truncated_and_garbage_files_are_errors_not_panics() {
    let good = saved(&mlp(&mut StdRng::seed_from_u64(4)));
    for cut in [0, 4, 8, 20, good.len() / 2, good.len() - 1] {
        let err = failed_load("truncated.safetensors", &good[..cut]);
        assert!(
            matches!(err, tapegrad::Error::Format(_)),
            "cut at {cut}: {err}"
        );
    }
    let mut rng = StdRng::seed_from_u64(9);
    for len in [1usize, 8, 64, 1000] {
        let garbage: Vec<u8> = (0..len)
            .map(|_| tapegrad::rand::Rng::random::<u8>(&mut rng))
            .collect();
        failed_load("garbage.safetensors", &garbage);
    }
    // A header that claims an enormous length.
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    failed_load("huge.safetensors", &huge);
    let missing = mlp(&mut StdRng::seed_from_u64(4)).load_safetensors(temp("does-not-exist"));
    assert!(matches!(missing, Err(tapegrad::Error::Io(_))));
}

#[test]
fn dropout_is_inactive_in_eval_mode_and_scales_in_training() {
    let mut model = nn::Sequential::<f64>::new().add(nn::Dropout::with_seed(0.25, 1));
    let x = Tensor::ones(&[10_000]);
    let y = model.forward(&x).to_vec();
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / 1e4;
    assert!((kept - 0.75).abs() < 0.02, "kept {kept}");
    assert!(
        y.iter()
            .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-12)
    );
    model.train(false);
    assert_eq!(model.forward(&x).to_vec(), x.to_vec());
}

#[test]
fn linear_uses_pytorchs_default_init_bounds() {
    let layer = nn::Linear::<f64>::new(16, 300, &mut StdRng::seed_from_u64(0));
    let w = layer.weight.to_vec();
    let bound = 0.25; // 1/sqrt(16)
    assert!(w.iter().all(|v| v.abs() <= bound));
    let max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max > 0.24, "samples fill the range: {max}");
}

#[test]
fn lbfgs_matches_pytorch_with_and_without_the_line_search() {
    let f = fixture();
    let o = &f["lbfgs"];
    let x = Tensor::from_vec(floats(&o["x"]), &[6, 4]);
    let y = Tensor::from_vec(floats(&o["y"]), &[6, 3]);
    for (name, want) in o["runs"].as_object().unwrap() {
        let w = Tensor::from_vec(floats(&o["w0"]), &[3, 4]).requires_grad();
        let b = Tensor::from_vec(floats(&o["b0"]), &[3]).requires_grad();
        let mut opt = match name.as_str() {
            "plain" => optim::Lbfgs::new(vec![w.clone(), b.clone()], 0.5).max_iter(4),
            _ => optim::Lbfgs::new(vec![w.clone(), b.clone()], 1.0)
                .max_iter(6)
                .history_size(3)
                .strong_wolfe(true),
        };
        let losses = want["losses"].as_array().unwrap();
        let params = want["params"].as_array().unwrap();
        for step in 0..5 {
            let loss = opt.step_with(|| {
                w.zero_grad();
                b.zero_grad();
                let l = loss::mse(&(x.matmul_t(&w) + &b).tanh(), &y);
                l.backward();
                l
            });
            let tag = format!("lbfgs {name} step {step}");
            assert_close(
                &tag,
                &[loss.item()],
                &[losses[step].as_f64().unwrap()],
                1e-9,
            );
            let got: Vec<f64> = w.to_vec().into_iter().chain(b.to_vec()).collect();
            assert_close(&tag, &got, &floats(&params[step]), 1e-8);
        }
    }
}

#[test]
fn reduce_lr_on_plateau_matches_pytorch() {
    use tapegrad::optim::{ReduceLrOnPlateau, Sgd};
    let f = fixture();
    let runs = f["plateau"].as_object().unwrap();
    assert_eq!(runs.len(), 2);
    for (name, run) in runs {
        let w = Tensor::<f64>::zeros(&[1]).requires_grad();
        let mut opt = Sgd::new(vec![w], 0.1);
        let set = &run["settings"];
        let mut s = ReduceLrOnPlateau::new(&opt);
        if let Some(v) = set["factor"].as_f64() {
            s = s.factor(v);
        }
        if let Some(v) = set["patience"].as_u64() {
            s = s.patience(v as usize);
        }
        if let Some(v) = set["threshold"].as_f64() {
            s = s.threshold(v);
        }
        if let Some(v) = set["cooldown"].as_u64() {
            s = s.cooldown(v as usize);
        }
        if let Some(v) = set["min_lr"].as_f64() {
            s = s.min_lr(v);
        }
        let lrs: Vec<f64> = floats(&run["metrics"])
            .into_iter()
            .map(|m| {
                s.step_metric(&mut opt, m);
                opt.lr()
            })
            .collect();
        assert_close(
            &format!("plateau {name}"),
            &lrs,
            &floats(&run["lrs"]),
            1e-12,
        );
    }
}
