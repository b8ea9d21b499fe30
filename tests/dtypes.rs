//! Element types: `Tensor<i64>` and `Tensor<bool>` beside the floats — construction, shape
//! ops, Display, casts — and safetensors files of every dtype, including the half types
//! PyTorch users save (checked against a file PyTorch wrote).

use crate::common::{fixture_json, fixture_path, shape};
use tapegrad::io::{self, AnyTensor};
use tapegrad::{DType, Error, Tensor};

#[test]
fn integer_and_bool_tensors_have_the_constructors_and_readers() {
    let z = Tensor::<i64>::zeros(&[2, 3]);
    assert_eq!(z.to_vec(), vec![0; 6]);
    assert_eq!(Tensor::<i64>::ones(&[2]).to_vec(), vec![1, 1]);
    assert_eq!(Tensor::<i64>::full(&[2], -4).to_vec(), vec![-4, -4]);
    assert_eq!(Tensor::<i64>::zeros_like(&z).shape(), &[2, 3]);
    assert_eq!(
        Tensor::<bool>::ones_like(&Tensor::zeros(&[2])).to_vec(),
        vec![true; 2]
    );
    assert_eq!(Tensor::<i64>::scalar(5).item(), 5);
    assert_eq!(
        Tensor::<bool>::eye(2).to_vec(),
        vec![true, false, false, true]
    );
    assert!(Tensor::<i64>::try_from_vec(vec![1, 2], &[3]).is_err());
    let a = Tensor::<i64>::from_array(tapegrad::ndarray::arr2(&[[1i64, 2], [3, 4]]).into_dyn());
    assert_eq!(a.to_array()[[1, 0]], 3);
    assert_eq!(a.dtype(), DType::I64);
    assert!(!a.is_requires_grad());
}

#[test]
fn shape_ops_work_for_every_element_type() {
    let a = Tensor::<i64>::arange(0, 6, 1).reshape(&[2, 3]);
    assert_eq!(a.t().contiguous().to_vec(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(a.permute(&[1, 0]).shape(), &[3, 2]);
    assert_eq!(a.transpose(0, 1).to_vec(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(a.narrow(1, 1, 2).to_vec(), vec![1, 2, 4, 5]);
    assert_eq!(a.i((.., 2)).to_vec(), vec![2, 5]);
    assert_eq!(a.flip(&[1]).to_vec(), vec![2, 1, 0, 5, 4, 3]);
    assert_eq!(a.unsqueeze(0).expand(&[2, -1, -1]).shape(), &[2, 2, 3]);
    assert_eq!(a.index_select(1, &[2, 0]).to_vec(), vec![2, 0, 5, 3]);
    assert_eq!(
        Tensor::cat(&[&a, &a], 0).to_vec(),
        vec![0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]
    );
    assert_eq!(Tensor::stack(&[&a, &a], 0).shape(), &[2, 2, 3]);
    assert_eq!(a.roll(&[1], &[1]).to_vec(), vec![2, 0, 1, 5, 3, 4]);
    assert_eq!(a.repeat(&[1, 2]).shape(), &[2, 6]);
    assert!(a.view(&[3, 2]).shares_storage(&a));
    let m = a.gt(2);
    assert_eq!(
        m.reshape(&[-1]).to_vec(),
        vec![false, false, false, true, true, true]
    );
    assert_eq!(m.select(0, 1).to_vec(), vec![true, true, true]);
    assert_eq!(m.unbind(1).len(), 3);
}

#[test]
fn display_prints_integers_and_bools_as_pytorch() {
    let a = Tensor::<i64>::from_vec(vec![1, -20, 3], &[3]);
    assert_eq!(a.to_string(), "tensor([1, -20, 3])");
    let m = Tensor::from_vec(vec![true, false], &[1, 2]);
    assert_eq!(m.to_string(), "tensor([[True, False]])");
    assert_eq!(format!("{:?}", Tensor::<i64>::scalar(7)), "tensor(7)");
}

#[test]
fn casts_follow_pytorch() {
    let x = Tensor::from_vec(vec![-2.7f64, -0.5, 0.0, 0.9, 3.99, f64::NAN], &[6]);
    assert_eq!(x.cast::<i64>().to_vec(), vec![-2, 0, 0, 0, 3, 0]);
    assert_eq!(
        x.cast::<bool>().to_vec(),
        vec![true, true, false, true, true, true]
    );
    let big = Tensor::<i64>::from_vec(vec![(1 << 53) + 1, -3], &[2]);
    assert_eq!(big.cast::<i64>().to_vec(), vec![(1 << 53) + 1, -3]);
    assert_eq!(big.cast::<bool>().to_vec(), vec![true, true]);
    assert_eq!(
        Tensor::from_vec(vec![true, false], &[2])
            .cast::<i64>()
            .to_vec(),
        vec![1, 0]
    );
    let f = Tensor::from_vec(vec![0.1f64], &[1]);
    assert_eq!(f.cast::<f32>().to_vec(), vec![0.1f32]);
    // Same type: the very tensor, so gradients flow.
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad();
    w.cast::<f32>().sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    // To integers: no gradient, as in PyTorch.
    assert!(!w.cast::<i64>().is_requires_grad());
}

#[test]
#[should_panic(expected = "cast: a f32 tensor that requires grad cannot be cast to f64")]
fn a_cast_between_floats_that_would_drop_the_gradient_panics() {
    let w = Tensor::<f32>::ones(&[2]).requires_grad();
    let _ = w.cast::<f64>();
}

#[test]
fn a_cast_between_floats_is_fine_under_no_grad_or_detached() {
    let w = Tensor::<f32>::ones(&[2]).requires_grad();
    assert_eq!(
        tapegrad::no_grad(|| w.cast::<f64>()).to_vec(),
        vec![1.0, 1.0]
    );
    assert_eq!(w.detach().cast::<f64>().to_vec(), vec![1.0, 1.0]);
}

#[test]
fn integer_sums_and_arange() {
    let a = Tensor::<i64>::from_vec(vec![1, 2, 3, 4], &[2, 2]);
    assert_eq!(a.sum().item(), 10);
    assert_eq!(a.sum_dim(1, true).to_vec(), vec![3, 7]);
    assert_eq!(a.gt(1).sum().item(), 3);
    assert_eq!(Tensor::<i64>::arange(5, 0, -2).to_vec(), vec![5, 3, 1]);
    assert_eq!(Tensor::<i64>::arange(0, 0, 1).numel(), 0);
}

#[test]
#[should_panic(expected = "tapegrad: arange: step 0 cannot go from 0 to 5")]
fn an_integer_arange_with_zero_step_panics() {
    Tensor::<i64>::arange(0, 5, 0);
}

#[test]
fn a_file_pytorch_wrote_reads_with_every_dtype() {
    let json = fixture_json("dtypes.json");
    let tensors = io::load_safetensors(fixture_path("dtypes.safetensors")).unwrap();
    let names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bf16", "bool", "f16", "f32", "f64", "i64"]);
    for (name, t) in &tensors {
        let want = &json["tensors"][name.as_str()];
        let shape = shape(&want["shape"]);
        assert_eq!(t.shape(), &shape[..], "{name}");
        let values = want["values"].as_array().unwrap();
        let text = |v: &serde_json::Value| v.as_str().unwrap().to_string();
        match t {
            AnyTensor::I64(t) => {
                let want: Vec<i64> = values.iter().map(|v| text(v).parse().unwrap()).collect();
                assert_eq!(t.to_vec(), want);
            }
            AnyTensor::Bool(t) => {
                let want: Vec<bool> = values.iter().map(|v| text(v) == "1.0").collect();
                assert_eq!(t.to_vec(), want);
            }
            AnyTensor::F64(t) => {
                let want: Vec<f64> = values.iter().map(|v| text(v).parse().unwrap()).collect();
                assert_eq!(t.to_vec(), want);
            }
            AnyTensor::F32(t) => {
                // f32 as saved, and f16/bf16 widened: every value exactly as PyTorch holds it.
                let want: Vec<f64> = values.iter().map(|v| text(v).parse().unwrap()).collect();
                let got: Vec<f64> = t.to_vec().iter().map(|&v| v as f64).collect();
                assert_eq!(got, want, "{name}");
            }
        }
    }
}

#[test]
fn every_dtype_round_trips_through_a_file() {
    let path = std::env::temp_dir().join(format!("tapegrad_dtypes_{}.st", std::process::id()));
    let tensors: Vec<(String, AnyTensor)> = vec![
        (
            "a".into(),
            Tensor::from_vec(vec![1.5f32, -2.0], &[2]).into(),
        ),
        ("b".into(), Tensor::from_vec(vec![0.1f64], &[1, 1]).into()),
        (
            "c".into(),
            Tensor::<i64>::from_vec(vec![i64::MIN, i64::MAX], &[2]).into(),
        ),
        (
            "d".into(),
            Tensor::from_vec(vec![true, false, true], &[3]).into(),
        ),
        // A strided view is written row-major.
        (
            "e".into(),
            Tensor::<i64>::arange(0, 6, 1).reshape(&[2, 3]).t().into(),
        ),
    ];
    io::save_safetensors(&path, &tensors).unwrap();
    let back = io::load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).ok();
    for ((n0, t0), (n1, t1)) in tensors.iter().zip(&back) {
        assert_eq!(n0, n1);
        assert_eq!(t0.dtype(), t1.dtype());
        assert_eq!(t0.shape(), t1.shape());
        assert_eq!(t0.to::<f64>().to_vec(), t1.to::<f64>().to_vec(), "{n0}");
    }
    assert_eq!(back[2].1.to::<i64>().to_vec(), vec![i64::MIN, i64::MAX]);
    assert_eq!(back[4].1.to::<i64>().to_vec(), vec![0, 3, 1, 4, 2, 5]);
}

#[test]
fn bad_files_are_errors_with_the_path() {
    let path = std::env::temp_dir().join(format!("tapegrad_bad_{}.st", std::process::id()));
    std::fs::write(&path, b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage").unwrap();
    let err = io::load_safetensors(&path).unwrap_err();
    assert!(matches!(err, Error::Format(_)), "{err}");
    assert!(err.to_string().contains("tapegrad_bad_"), "{err}");
    std::fs::remove_file(&path).ok();
    let err = io::load_safetensors(&path).unwrap_err();
    assert!(err.to_string().contains("tapegrad_bad_"), "{err}");
}
