//! The conv, pooling and normalisation layers against PyTorch: a small CNN's `state_dict`
//! saved by PyTorch (BatchNorm's buffers and int64 `num_batches_tracked` included) loads
//! strictly, gives PyTorch's outputs in eval and training mode, PyTorch's gradients and
//! running statistics (fixtures from `scripts/gen_cnn_fixtures.py`); the layers' shapes,
//! defaults, initialisation bounds and errors.

use crate::common::{
    assert_close, assert_param_grads, assert_state_names, fixture_json, fixture_path, floats, shape,
};
use serde_json::Value;
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

/// The PyTorch model of scripts/gen_cnn_fixtures.py, layer for layer.
fn cnn(rng: &mut StdRng) -> nn::Sequential<f64> {
    nn::Sequential::new()
        .add(nn::Conv2d::new(1, 4, 3, rng).padding(1))
        .add(nn::BatchNorm2d::new(4))
        .add(nn::ReLU)
        .add(nn::MaxPool2d::new(2))
        .add(
            nn::Conv2d::new(4, 6, (3, 2), rng)
                .stride((2, 1))
                .padding(1)
                .groups(2),
        )
        .add(nn::GroupNorm::new(2, 6))
        .add(nn::Tanh)
        .add(nn::AvgPool2d::new(2).stride(1))
        .add(nn::Flatten::new(1, -1))
        .add(nn::Linear::new(18, 3, rng))
}

#[test]
fn a_pytorch_cnn_checkpoint_loads_and_matches_pytorch() {
    let json: Value = fixture_json("cnn.json");
    let mut model = cnn(&mut StdRng::seed_from_u64(0));
    assert_state_names("cnn", &model, &json["names"]);
    model
        .load_safetensors(fixture_path("cnn.safetensors"))
        .unwrap();

    let shape = shape(&json["input"]["shape"]);
    let x = Tensor::from_vec(floats(&json["input"]["data"]), &shape);
    model.eval();
    let y = model.forward(&x);
    assert_close(
        "eval output",
        &y.to_vec(),
        &floats(&json["eval_output"]),
        1e-10,
    );

    model.train(true);
    let y = model.forward(&x);
    assert_close(
        "train output",
        &y.to_vec(),
        &floats(&json["train_output"]),
        1e-10,
    );
    y.square().sum().backward();
    assert_param_grads("cnn", &model, &json["grads"], 1e-9);
    for (name, b) in model.named_buffers() {
        let want = floats(&json["running_after"][name.as_str()]);
        assert_close(&format!("buffer {name}"), &b.to_vec(), &want, 1e-10);
    }
}

#[test]
fn checkpoints_write_num_batches_tracked_as_int64() {
    let model = cnn(&mut StdRng::seed_from_u64(0));
    model.forward(&Tensor::ones(&[2, 1, 6, 6]));
    let path = std::env::temp_dir().join(format!("tapegrad_cnn_{}.st", std::process::id()));
    model.save_safetensors(&path).unwrap();
    let file = tapegrad::io::load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let counter = &file
        .iter()
        .find(|(n, _)| n == "1.num_batches_tracked")
        .unwrap()
        .1;
    assert_eq!(counter.dtype(), tapegrad::DType::I64);
    assert_eq!(counter.to::<i64>().item(), 1);
    let weight = &file.iter().find(|(n, _)| n == "0.weight").unwrap().1;
    assert_eq!(weight.dtype(), tapegrad::DType::F64);
}

#[test]
fn conv_layers_have_pytorchs_shapes_and_initialisation_bounds() {
    let mut rng = StdRng::seed_from_u64(1);
    let conv = nn::Conv2d::<f32>::new(6, 4, (3, 5), &mut rng)
        .groups(2)
        .bias(false);
    assert_eq!(conv.weight.shape(), &[4, 3, 3, 5]);
    assert!(conv.bias.is_none());
    let bound = 1.0 / ((3 * 3 * 5) as f32).sqrt();
    assert!(conv.weight.to_vec().iter().all(|v| v.abs() <= bound));
    assert!(conv.weight.to_vec().iter().any(|v| v.abs() > 0.7 * bound));
    assert!(conv.weight.is_requires_grad());
    let c1 = nn::Conv1d::<f32>::new(3, 8, 5, &mut rng)
        .dilation(2)
        .padding(4);
    assert_eq!(c1.forward(&Tensor::ones(&[1, 3, 7])).shape(), &[1, 8, 7]);
    let names: Vec<String> = c1.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
}

#[test]
fn pooling_and_shape_layers_work_for_both_float_types() {
    let x64 = Tensor::<f64>::ones(&[1, 2, 4, 4]);
    let x32 = Tensor::<f32>::ones(&[1, 2, 4, 4]);
    assert_eq!(nn::MaxPool2d::new(2).forward(&x64).shape(), &[1, 2, 2, 2]);
    assert_eq!(nn::MaxPool2d::new(2).forward(&x32).shape(), &[1, 2, 2, 2]);
    assert_eq!(
        nn::AdaptiveAvgPool2d::new(3).forward(&x32).shape(),
        &[1, 2, 3, 3]
    );
    assert_eq!(nn::Flatten::default().forward(&x64).shape(), &[1, 32]);
    assert!(nn::Identity.forward(&x32).same(&x32));
    let x = Tensor::<f32>::from_vec(vec![1.0, 3.0, 2.0, 5.0, 4.0], &[1, 1, 5]);
    assert_eq!(nn::MaxPool1d::new(2).forward(&x).to_vec(), vec![3.0, 5.0]);
    assert_eq!(nn::AvgPool1d::new(2).forward(&x).to_vec(), vec![2.0, 3.5]);
}

#[test]
fn batch_norm_uses_running_statistics_in_eval_mode() {
    let mut bn = nn::BatchNorm1d::<f64>::new(2).momentum(0.5);
    let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 20.0], &[2, 2]);
    let y = bn.forward(&x);
    assert_eq!(
        y.to_vec().iter().map(|v| v.round()).collect::<Vec<_>>(),
        vec![-1.0, -1.0, 1.0, 1.0]
    );
    // mean (2, 15) and unbiased var (2, 50), half-way from (0, 1).
    assert_eq!(bn.running_mean.as_ref().unwrap().to_vec(), vec![1.0, 7.5]);
    assert_eq!(bn.running_var.as_ref().unwrap().to_vec(), vec![1.5, 25.5]);
    bn.eval();
    assert!(!bn.is_training());
    let y = bn.forward(&x);
    let want = (1.0 - 1.0) / (1.5f64 + 1e-5).sqrt();
    assert!((y.to_vec()[0] - want).abs() < 1e-12);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().item(), 1.0);
    let plain = nn::BatchNorm2d::<f32>::new(3).affine(false);
    assert_eq!(plain.named_parameters().len(), 0);
    assert_eq!(plain.named_buffers().len(), 3);
}

#[test]
#[should_panic(
    expected = "tapegrad: conv2d: input of shape [1, 3, 5, 5] has 3 channels, but weight"
)]
fn a_conv_with_the_wrong_channels_panics() {
    let conv = nn::Conv2d::<f32>::new(2, 4, 3, &mut StdRng::seed_from_u64(0));
    conv.forward(&Tensor::ones(&[1, 3, 5, 5]));
}

#[test]
#[should_panic(
    expected = "tapegrad: max_pool2d: a window of (3, 3) (dilation (1, 1)) with padding (0, 0)"
)]
fn a_window_larger_than_the_input_panics() {
    nn::MaxPool2d::new(3).forward(&Tensor::<f32>::ones(&[1, 1, 2, 2]));
}

#[test]
#[should_panic(expected = "tapegrad: BatchNorm2d: expects input `[N, C, H, W]` with 3 channels")]
fn batch_norm_with_the_wrong_shape_panics() {
    nn::BatchNorm2d::<f32>::new(3).forward(&Tensor::ones(&[2, 4, 2, 2]));
}

#[test]
fn a_gradient_penalty_through_a_conv_net_is_second_order() {
    // d/dθ ‖∂f/∂x‖²: needs the conv's and the pooling's backward to be differentiable.
    let mut rng = StdRng::seed_from_u64(2);
    let conv = nn::Conv2d::<f64>::new(1, 2, 3, &mut rng).padding(1);
    let x = Tensor::<f64>::randn(&[1, 1, 4, 4], &mut rng).requires_grad();
    let f = |w: &Tensor<f64>| {
        let y = nn::functional::conv2d(&x, w, None, 1, 1, 1, 1);
        let y = nn::functional::max_pool2d(&y.tanh(), 2, 2, 0).sum();
        let gx = tapegrad::grad(&y, &[&x], true).remove(0);
        gx.square().sum()
    };
    let w = conv.weight.detach();
    tapegrad::gradcheck(|v| f(&v[0]), &[w], 1e-6, 1e-7, 1e-5).unwrap();
}

#[test]
fn two_by_two_max_pooling_picks_the_first_maximum_of_each_window() {
    use tapegrad::nn::functional::max_pool2d;
    // The 2×2 kernel compares without branches when no NaN is present: the same positions
    // as a scan of each window (first maximum on ties, odd widths and heights dropping their
    // last column and row), with many ties, infinities and signed zeros.
    let (n, c, h, w) = (2, 3, 7, 9);
    let pattern = [
        0.0,
        -0.0,
        1.0,
        1.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut rng = StdRng::seed_from_u64(3);
    let values: Vec<f64> = (0..n * c * h * w)
        .map(|_| pattern[tapegrad::rand::Rng::random_range(&mut rng, 0..pattern.len())])
        .collect();
    let x = Tensor::from_vec(values.clone(), &[n, c, h, w]).requires_grad();
    max_pool2d(&x, 2, 2, 0).sum().backward();
    let mut expect = vec![0.0; values.len()];
    for plane in 0..n * c {
        for oy in 0..h / 2 {
            for ox in 0..w / 2 {
                let at = |dy: usize, dx: usize| plane * h * w + (2 * oy + dy) * w + 2 * ox + dx;
                let mut best = at(0, 0);
                for (dy, dx) in [(0, 1), (1, 0), (1, 1)] {
                    if values[at(dy, dx)] > values[best] {
                        best = at(dy, dx);
                    }
                }
                expect[best] += 1.0;
            }
        }
    }
    assert_eq!(x.grad().unwrap().to_vec(), expect);
    // The last NaN of a window wins, as PyTorch's scan (the path with NaN present).
    let v = Tensor::from_vec(vec![f64::NAN, 1.0, f64::NAN, 5.0], &[1, 1, 2, 2]).requires_grad();
    max_pool2d(&v, 2, 2, 0).sum().backward();
    assert_eq!(v.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn max_pooling_picks_as_pytorch_and_sums_the_gradients_of_overlapping_windows() {
    use tapegrad::nn::functional::max_pool2d;
    // Overlapping windows (kernel 2, stride 1): the centre is the max of all four.
    let x = Tensor::from_vec(vec![1.0f64, 2., 3., 4., 9., 5., 6., 7., 8.], &[1, 1, 3, 3])
        .requires_grad();
    let y = max_pool2d(&x, 2, 1, 0);
    assert_eq!(y.to_vec(), vec![9.0; 4]);
    y.sum().backward();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![0., 0., 0., 0., 4., 0., 0., 0., 0.]
    );
    // Ties go to the first position of the window.
    let t = Tensor::from_vec(vec![5.0f64; 4], &[1, 1, 2, 2]).requires_grad();
    max_pool2d(&t, 2, 2, 0).sum().backward();
    assert_eq!(t.grad().unwrap().to_vec(), vec![1., 0., 0., 0.]);
    // NaN wins.
    let n = Tensor::from_vec(vec![1.0f64, f64::NAN, 3., 4.], &[1, 1, 2, 2]);
    assert!(max_pool2d(&n, 2, 2, 0).item().is_nan());
    // All −inf: each window's first position inside the image, never the padding.
    let m = Tensor::from_vec(vec![f64::NEG_INFINITY; 4], &[1, 1, 2, 2]).requires_grad();
    let p = max_pool2d(&m, 2, 1, 1);
    assert_eq!(p.shape(), [1, 1, 3, 3]);
    p.sum().backward();
    assert_eq!(m.grad().unwrap().to_vec(), vec![4., 2., 2., 1.]);
}

#[test]
fn unbatched_inputs_are_a_batch_of_one_as_in_pytorch() {
    // PyTorch's layers take one sample without its batch dim; the result is that of a batch
    // of one, without the batch dim, and the gradient reaches the input.
    let mut rng = StdRng::seed_from_u64(5);
    let check =
        |name: &str, x: Tensor<f64>, batch_dim: isize, f: &dyn Fn(&Tensor<f64>) -> Tensor<f64>| {
            let x = x.requires_grad();
            let alone = f(&x);
            let batched = f(&x.unsqueeze(batch_dim)).squeeze(batch_dim);
            assert_eq!(alone.shape(), batched.shape(), "{name}");
            assert_eq!(alone.to_vec(), batched.to_vec(), "{name}");
            alone.square().sum().backward();
            assert!(x.grad().is_some(), "{name}: no gradient");
        };
    let conv2 = nn::Conv2d::<f64>::new(2, 3, (3, 3), &mut rng).padding((1, 1));
    check("conv2d", Tensor::randn(&[2, 5, 6], &mut rng), 0, &|x| {
        conv2.forward(x)
    });
    let conv1 = nn::Conv1d::<f64>::new(2, 3, 3, &mut rng).stride(2);
    check("conv1d", Tensor::randn(&[2, 9], &mut rng), 0, &|x| {
        conv1.forward(x)
    });
    type Pool = Box<dyn Module<f64>>;
    let pools: Vec<(&str, Pool, Vec<usize>)> = vec![
        (
            "max_pool2d",
            Box::new(nn::MaxPool2d::new((2, 2))),
            vec![3, 4, 6],
        ),
        (
            "avg_pool2d",
            Box::new(nn::AvgPool2d::new((2, 2)).padding((1, 1))),
            vec![3, 4, 6],
        ),
        ("max_pool1d", Box::new(nn::MaxPool1d::new(2)), vec![3, 8]),
        ("avg_pool1d", Box::new(nn::AvgPool1d::new(3)), vec![3, 8]),
        (
            "adaptive_avg_pool2d",
            Box::new(nn::AdaptiveAvgPool2d::new((2, 3))),
            vec![3, 5, 7],
        ),
    ];
    for (name, pool, shape) in &pools {
        check(name, Tensor::randn(shape, &mut rng), 0, &|x| {
            pool.forward(x)
        });
    }
    let mha = nn::MultiheadAttention::<f64>::new(4, 2, &mut rng);
    check("mha", Tensor::randn(&[5, 4], &mut rng), 1, &|x| {
        mha.forward(x)
    });
    let mha_bf = nn::MultiheadAttention::<f64>::new(4, 2, &mut rng).batch_first(true);
    check(
        "mha batch_first",
        Tensor::randn(&[5, 4], &mut rng),
        0,
        &|x| mha_bf.forward(x),
    );
}
