//! Comparisons, logic, masks, sorting and index ops beyond the PyTorch fixture cases: NaN,
//! broadcasting, empty inputs, saved masks modified in place, and the panics of each family
//! (wrong mask dtype or shape, indices out of range: the message names the op, the index
//! and the size).

use tapegrad::{Tensor, where_cond};

fn f(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape)
}

fn i(v: &[i64], shape: &[usize]) -> Tensor<i64> {
    Tensor::from_vec(v.to_vec(), shape)
}

#[test]
fn comparisons_broadcast_and_treat_nan_as_pytorch() {
    let x = f(&[1.0, f64::NAN, 3.0], &[3]);
    assert_eq!(x.eq(&x).to_vec(), vec![true, false, true]);
    assert_eq!(x.ne(&x).to_vec(), vec![false, true, false]);
    assert_eq!(x.lt(2.0).to_vec(), vec![true, false, false]);
    assert_eq!(x.ge(1.0).to_vec(), vec![true, false, true]);
    let col = f(&[0.0, 2.0], &[2, 1]);
    let grid = x.gt(&col);
    assert_eq!(grid.shape(), &[2, 3]);
    assert_eq!(grid.to_vec(), vec![true, false, true, false, false, true]);
    assert_eq!(x.isnan().to_vec(), vec![false, true, false]);
    assert!(!x.allclose(&x, 1e-5, 1e-8), "NaN is never close");
    assert_eq!(Tensor::<f64>::zeros(&[0]).gt(0.0).shape(), &[0]);
}

#[test]
#[should_panic(expected = "tapegrad: lt: shapes [3] and [2] cannot be broadcast together")]
fn a_comparison_of_unbroadcastable_shapes_panics() {
    f(&[1.0, 2.0, 3.0], &[3]).lt(&f(&[1.0, 2.0], &[2]));
}

#[test]
fn logic_and_mask_reductions() {
    let a = Tensor::from_vec(vec![true, true, false, false], &[2, 2]);
    let b = Tensor::from_vec(vec![true, false], &[2]);
    assert_eq!((&a & &b).to_vec(), vec![true, false, false, false]);
    assert_eq!((&a | &b).to_vec(), vec![true, true, true, false]);
    assert_eq!(
        (a.clone() ^ b.clone()).to_vec(),
        vec![false, true, true, false]
    );
    assert_eq!((!a.clone()).to_vec(), vec![false, false, true, true]);
    assert_eq!(a.any_dim(0, false).to_vec(), vec![true, true]);
    assert_eq!(a.all_dim(1, false).to_vec(), vec![true, false]);
    assert!(a.any().item() && !a.all().item());
    let empty = Tensor::<bool>::zeros(&[0]);
    assert!(!empty.any().item() && empty.all().item());
    assert_eq!(a.count_nonzero().item(), 2);
    assert_eq!(a.nonzero().to_vec(), vec![0, 0, 0, 1]);
    assert_eq!(Tensor::<f32>::zeros(&[2, 3]).nonzero().shape(), &[0, 2]);
}

#[test]
fn where_cond_masked_fill_and_masked_select() {
    let x = f(&[-1.0, 2.0, -3.0, 4.0], &[2, 2]).requires_grad();
    let y = where_cond(&x.lt(0.0), 0.0, &x);
    assert_eq!(y.to_vec(), vec![0.0, 2.0, 0.0, 4.0]);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0, 1.0]);
    // A row mask broadcast over a matrix.
    let m = Tensor::from_vec(vec![true, false], &[2]);
    let z = x.detach().masked_fill(&m, f64::NEG_INFINITY);
    assert_eq!(
        z.to_vec(),
        vec![f64::NEG_INFINITY, 2.0, f64::NEG_INFINITY, 4.0]
    );
    assert_eq!(x.detach().masked_select(&m).to_vec(), vec![-1.0, -3.0]);
    // masked_fill on an integer tensor.
    let labels = i(&[3, -1, 2], &[3]);
    assert_eq!(labels.masked_fill(&labels.lt(0), 0).to_vec(), vec![3, 0, 2]);
}

#[test]
#[should_panic(
    expected = "tapegrad: masked_fill: mask of shape [3] does not broadcast to shape [2, 2]"
)]
fn a_mask_of_the_wrong_shape_panics() {
    f(&[1.0; 4], &[2, 2]).masked_fill(&Tensor::from_vec(vec![true; 3], &[3]), 0.0);
}

#[test]
#[should_panic(expected = "tapegrad: masked_fill_: mask of shape [2, 1, 2] does not broadcast")]
fn an_in_place_mask_that_would_grow_the_tensor_panics() {
    f(&[1.0; 4], &[2, 2]).masked_fill_(&Tensor::from_vec(vec![true; 4], &[2, 1, 2]), 0.0);
}

#[test]
fn a_saved_mask_modified_in_place_fails_backward() {
    let x = f(&[1.0, -2.0], &[2]).requires_grad();
    let mask = x.detach().gt(0.0);
    let y = where_cond(&mask, &x, 0.0).sum();
    mask.data_mut().view_mut()[[0]] = false;
    let err = y.try_backward().unwrap_err();
    assert!(matches!(err, tapegrad::Error::Modified { .. }), "{err}");
    assert!(err.to_string().contains("where_cond"), "{err}");
}

#[test]
fn sorting_is_stable_and_puts_nan_last() {
    let x = f(&[2.0, f64::NAN, 1.0, 2.0, -1.0], &[5]);
    let (v, idx) = x.sort(0, false);
    assert_eq!(idx.to_vec(), vec![4, 2, 0, 3, 1]);
    assert!(v.to_vec()[4].is_nan());
    let (_, idx) = x.sort(0, true);
    assert_eq!(idx.to_vec(), vec![1, 0, 3, 2, 4]);
    let ints = i(&[3, 1, 3, 0], &[4]);
    assert_eq!(ints.argsort(0, false).to_vec(), vec![3, 1, 0, 2]);
    let (v, _) = ints.topk(2, 0, true, true);
    assert_eq!(v.to_vec(), vec![3, 3]);
    let (v, idx) = Tensor::<f32>::zeros(&[2, 0]).sort(1, false);
    assert_eq!((v.shape(), idx.shape()), (&[2, 0][..], &[2, 0][..]));
}

#[test]
fn sort_gradient_flows_back_to_the_elements() {
    let x = f(&[3.0, 1.0, 2.0], &[3]).requires_grad();
    let (v, _) = x.sort(0, false);
    (v * f(&[1.0, 10.0, 100.0], &[3])).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![100.0, 1.0, 10.0]);
}

#[test]
#[should_panic(expected = "tapegrad: topk: k = 4 is larger than dim -1 of size 3")]
fn topk_beyond_the_size_panics() {
    f(&[1.0, 2.0, 3.0], &[3]).topk(4, -1, true, true);
}

#[test]
#[should_panic(expected = "tapegrad: kthvalue: k = 0 is out of range for dim 0 of size 3")]
fn kthvalue_counts_from_one() {
    f(&[1.0, 2.0, 3.0], &[3]).kthvalue(0, 0, false);
}

#[test]
fn argmax_returns_i64_indices() {
    let x = f(&[1.0, 5.0, 5.0, 2.0, f64::NAN, 0.0], &[2, 3]);
    assert_eq!(x.argmax(1, false).to_vec(), vec![1, 1]);
    assert_eq!(x.argmin(1, true).to_vec(), vec![0, 1]);
    let (v, idx) = x.max_dim_indices(0, false);
    assert_eq!(idx.to_vec(), vec![1, 1, 0]);
    assert_eq!(v.to_vec()[2], 5.0);
}

#[test]
#[should_panic(expected = "tapegrad: gather: index 3 is out of range for dim 1 of size 3")]
fn gather_out_of_range_names_the_index_and_size() {
    f(&[0.0; 6], &[2, 3]).gather(1, &i(&[0, 3], &[2, 1]));
}

#[test]
#[should_panic(expected = "tapegrad: gather: index -1 is out of range for dim 0 of size 2")]
fn gather_rejects_negative_indices() {
    f(&[0.0; 6], &[2, 3]).gather(0, &i(&[-1, 0, 0], &[1, 3]));
}

#[test]
#[should_panic(expected = "tapegrad: scatter: index 5 is out of range for dim 0 of size 2")]
fn scatter_out_of_range_panics() {
    f(&[0.0; 4], &[2, 2]).scatter(0, &i(&[5, 0], &[1, 2]), &f(&[1.0, 1.0], &[1, 2]));
}

#[test]
#[should_panic(
    expected = "tapegrad: scatter_add: index of shape [2, 3] is larger than src of shape [2, 2]"
)]
fn scatter_add_with_a_small_source_panics() {
    f(&[0.0; 6], &[2, 3]).scatter_add(1, &i(&[0; 6], &[2, 3]), &f(&[1.0; 4], &[2, 2]));
}

#[test]
#[should_panic(expected = "tapegrad: index_select: index 7 is out of range for dim 0 of size 2")]
fn index_select_with_an_i64_index_out_of_range_panics() {
    f(&[0.0; 4], &[2, 2]).index_select(0, &i(&[0, 7], &[2]));
}

#[test]
#[should_panic(
    expected = "tapegrad: index_select: the index must be 1-D (or 0-d), got shape [1, 1]"
)]
fn index_select_with_a_matrix_index_panics() {
    f(&[0.0; 4], &[2, 2]).index_select(0, &i(&[0], &[1, 1]));
}

#[test]
#[should_panic(expected = "tapegrad: index_add: src of shape [1, 2] does not fit 2 indices")]
fn index_add_with_a_wrong_source_shape_panics() {
    f(&[0.0; 4], &[2, 2]).index_add(0, &[0, 1], &f(&[1.0; 2], &[1, 2]));
}

#[test]
#[should_panic(expected = "tapegrad: index_fill: index 2 is out of range for dim 1 of size 2")]
fn index_fill_out_of_range_panics() {
    f(&[0.0; 4], &[2, 2]).index_fill(1, &[2], 1.0);
}

#[test]
#[should_panic(expected = "tapegrad: one_hot: class 3 is out of range for 3 classes")]
fn one_hot_out_of_range_panics() {
    tapegrad::one_hot(&i(&[0, 3], &[2]), 3);
}

#[test]
#[should_panic(expected = "tapegrad: cross_entropy: target class -1 is negative")]
fn cross_entropy_with_a_negative_i64_target_panics() {
    tapegrad::loss::cross_entropy(&f(&[0.0; 4], &[2, 2]), &i(&[0, -1], &[2]));
}

#[test]
fn scatter_writes_last_and_its_gradients_skip_overwritten_elements() {
    let x = f(&[1.0, 2.0, 3.0], &[3]).requires_grad();
    let src = f(&[10.0, 20.0], &[2]).requires_grad();
    let y = x.scatter(0, &i(&[2, 2], &[2]), &src);
    assert_eq!(y.to_vec(), vec![1.0, 2.0, 20.0]);
    y.backward_with(&f(&[1.0, 2.0, 3.0], &[3]));
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0, 0.0]);
    assert_eq!(src.grad().unwrap().to_vec(), vec![3.0, 3.0]);
}

#[test]
fn labels_as_i64_flow_from_the_loader_into_the_loss() {
    use tapegrad::data::{DataLoader, accuracy};
    let x = Tensor::<f32>::from_vec(vec![2.0, 0.0, 0.0, 2.0, 2.0, 0.0], &[3, 2]);
    let y = Tensor::<i64>::from_vec(vec![0, 1, 1], &[3]);
    let mut loader = DataLoader::new(x, y, 3);
    let (xb, yb) = loader.iter().next().unwrap();
    let by_tensor = tapegrad::loss::cross_entropy(&xb, &yb).item();
    let by_slice = tapegrad::loss::cross_entropy(&xb, &[0, 1, 1]).item();
    assert_eq!(by_tensor, by_slice);
    assert!((accuracy(&xb, &yb) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        tapegrad::loss::nll(&xb, &yb).item(),
        -(2.0 + 2.0 + 0.0) / 3.0
    );
}

#[test]
fn reductions_over_an_empty_dim_give_pytorchs_values_and_empty_gradients() {
    // PyTorch: mean, var and std of nothing are NaN, logsumexp is −inf, prod 1, norm 0.
    let x = Tensor::<f64>::zeros(&[3, 0]).requires_grad();
    let nan3 = |t: Tensor<f64>| t.shape() == [3] && t.to_vec().iter().all(|v| v.is_nan());
    assert!(nan3(x.mean_dim(1, false)));
    assert!(nan3(x.var_dim(1, true, false)));
    assert!(nan3(x.var_dim(1, false, false)));
    assert!(nan3(x.std_dim(1, true, false)));
    assert_eq!(x.logsumexp(1, false).to_vec(), vec![f64::NEG_INFINITY; 3]);
    assert_eq!(x.prod_dim(1, false).to_vec(), vec![1.0; 3]);
    assert_eq!(x.norm(2.0, Some(&[1]), false).to_vec(), vec![0.0; 3]);
    assert!(Tensor::<f64>::zeros(&[0]).var().item().is_nan());
    assert!(Tensor::<f64>::zeros(&[0]).std().item().is_nan());
    // A single element: the unbiased variance divides by max(0, 1 − 1) = 0.
    assert!(f(&[2.0], &[1]).var().item().is_nan());
    for y in [
        x.mean_dim(1, true),
        x.var_dim(1, true, true),
        x.logsumexp(1, true),
    ] {
        y.sum().backward();
        assert_eq!(x.grad().unwrap().shape(), [3, 0]);
    }
}

#[test]
#[should_panic(expected = "tapegrad: max_dim: cannot reduce an empty dim 1 of shape [3, 0]")]
fn max_over_an_empty_dim_panics_as_pytorch_rejects_it() {
    Tensor::<f64>::zeros(&[3, 0]).max_dim(1, false);
}

#[test]
#[should_panic(expected = "tapegrad: argmax: cannot reduce an empty dim")]
fn argmax_of_an_empty_tensor_panics_as_pytorch_rejects_it() {
    Tensor::<f32>::zeros(&[0]).argmax(0, false);
}

#[test]
#[should_panic(expected = "tapegrad: max: cannot reduce an empty dim 0 of shape [0, 3]")]
fn max_of_an_empty_tensor_panics_as_pytorch_rejects_it() {
    Tensor::<f64>::zeros(&[0, 3]).max();
}

#[test]
fn dim_taking_ops_see_a_0d_tensor_as_one_element_along_dim_0_as_pytorch() {
    let x = Tensor::scalar(2.5f64).requires_grad();
    for y in [
        x.sum_dim(-1, false),
        x.sum_dim(0, true),
        x.mean_dim(0, false),
        x.logsumexp(-1, true),
        x.cumsum(0),
        x.cumprod(-1),
        x.softmax(0) * 2.5,
        x.max_dim(0, false),
        x.prod_dim(-1, false),
        x.sort(-1, true).0,
        x.topk(1, 0, true, true).0,
        x.kthvalue(1, 0, false).0,
        x.sum_dims(&[-1], true),
        x.amax(&[0], false),
    ] {
        assert_eq!(y.shape(), [] as [usize; 0]);
        assert_eq!(y.item(), 2.5);
    }
    assert_eq!(x.argmax(-1, false).shape(), [] as [usize; 0]);
    assert_eq!(x.sort(0, false).1.item(), 0);
    assert_eq!(x.log_softmax(0).item(), 0.0);
    assert!(x.gt(1.0).any_dim(0, false).item());
    x.cumsum(0).mul_scalar(3.0).backward();
    assert_eq!(x.grad().unwrap().item(), 3.0);
}

#[test]
#[should_panic(expected = "tapegrad: cumsum: dim 1 is out of range for shape []")]
fn a_0d_tensor_has_no_dim_1() {
    Tensor::scalar(1.0f32).cumsum(1);
}
