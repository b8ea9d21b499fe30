//! Shape mistakes panic with the op's name and both shapes, one test per op family, and the
//! panic points at the caller's line.

use tapegrad::Tensor;
use tapegrad::ndarray::{ArrayD, arr2};

fn t(shape: &[usize]) -> Tensor<f32> {
    Tensor::zeros(shape)
}

#[test]
#[should_panic(expected = "tapegrad: matmul: shapes [2, 3] and [4, 5] do not match (3 != 4)")]
fn matmul_inner_dims() {
    t(&[2, 3]).matmul(&t(&[4, 5]));
}

#[test]
#[should_panic(expected = "tapegrad: matmul: shapes [2] and [3] cannot be broadcast together")]
fn matmul_batch_dims() {
    t(&[2, 3, 4]).matmul(&t(&[3, 4, 5]));
}

#[test]
#[should_panic(expected = "tapegrad: add: shapes [2, 3] and [4] cannot be broadcast together")]
fn elementwise_broadcast() {
    let _ = &t(&[2, 3]) + &t(&[4]);
}

#[test]
#[should_panic(expected = "tapegrad: maximum: shapes [3] and [2] cannot be broadcast together")]
fn maximum_broadcast() {
    t(&[3]).maximum(&t(&[2]));
}

#[test]
#[should_panic(expected = "tapegrad: sum_dim: dim 2 is out of range for shape [2, 3]")]
fn reduce_dim_out_of_range() {
    t(&[2, 3]).sum_dim(2, false);
}

#[test]
#[should_panic(expected = "tapegrad: softmax: dim -3 is out of range for shape [2, 3]")]
fn softmax_dim_out_of_range() {
    t(&[2, 3]).softmax(-3);
}

#[test]
#[should_panic(
    expected = "tapegrad: reshape: cannot reshape tensor of shape [2, 3] (6 elements) to [4, -1]"
)]
fn reshape_count() {
    t(&[2, 3]).reshape(&[4, -1]);
}

#[test]
#[should_panic(expected = "tapegrad: broadcast_to: shape [2, 3] cannot be broadcast to [3, 3]")]
fn broadcast_to_shape() {
    t(&[2, 3]).broadcast_to(&[3, 3]);
}

#[test]
#[should_panic(
    expected = "tapegrad: permute: [0, 0] is not a permutation of the dims of shape [2, 3]"
)]
fn permute_not_a_permutation() {
    t(&[2, 3]).permute(&[0, 0]);
}

#[test]
#[should_panic(expected = "tapegrad: cat: shapes [2, 3] and [2, 4] differ outside dim 0")]
fn cat_shapes() {
    Tensor::cat(&[&t(&[2, 3]), &t(&[2, 4])], 0);
}

#[test]
#[should_panic(
    expected = "tapegrad: narrow: range 2..5 is out of bounds for dim 1 of shape [2, 3]"
)]
fn narrow_range() {
    t(&[2, 3]).narrow(1, 2, 3);
}

#[test]
#[should_panic(
    expected = "tapegrad: index_select: index 3 is out of range for dim 0 of size 3 (shape [3, 2])"
)]
fn index_select_range() {
    t(&[3, 2]).index_select(0, &[0, 3]);
}

#[test]
#[should_panic(
    expected = "tapegrad: gather: index of shape [3, 1] does not fit tensor of shape [2, 2] along dim 1"
)]
fn gather_shape() {
    let index: ArrayD<usize> = arr2(&[[0usize], [1], [0]]).into_dyn();
    t(&[2, 2]).gather(1, &index);
}

#[test]
#[should_panic(expected = "tapegrad: from_vec: 5 values do not fill shape [2, 3] (6 elements)")]
fn from_vec_count() {
    Tensor::from_vec(vec![0.0f32; 5], &[2, 3]);
}

#[test]
#[should_panic(expected = "tapegrad: item: tensor of shape [2] has 2 elements, not 1")]
fn item_of_many() {
    t(&[2]).item();
}

#[test]
fn the_panic_points_at_the_callers_line() {
    let (a, b) = (t(&[2, 3]), t(&[4, 5]));
    let method_line = line!() + 1;
    let at = crate::common::panic_location(|| drop(a.matmul(&b)));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{method_line}:")),
        "{at}"
    );
    let operator_line = line!() + 1;
    let at = crate::common::panic_location(|| drop(&a * &b));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{operator_line}:")),
        "{at}"
    );
}

#[test]
#[should_panic(expected = "tapegrad: pow: shapes [2, 3] and [4] cannot be broadcast together")]
fn pow_with_a_mismatched_exponent() {
    t(&[2, 3]).pow(&t(&[4]));
}

#[test]
#[should_panic(expected = "tapegrad: celu: alpha must not be 0")]
fn celu_with_zero_alpha() {
    t(&[2]).celu(0.0);
}

#[test]
#[should_panic(expected = "tapegrad: einsum: letter 'j' is 3 in one operand and 4 in another")]
fn einsum_with_mismatched_sizes() {
    tapegrad::einsum("ij,jk->ik", &[&t(&[2, 3]), &t(&[4, 5])]);
}

#[test]
#[should_panic(expected = "tapegrad: pad: a reflect pad of 3 needs a dim longer than 3")]
fn reflect_pad_too_wide() {
    t(&[2, 3]).pad(&[3, 0], tapegrad::PadMode::Reflect);
}

#[test]
#[should_panic(
    expected = "tapegrad: einsum: letter 'i' repeats within \"ii\" over dims of sizes 2 and 3"
)]
fn einsum_diagonal_of_unequal_dims() {
    tapegrad::einsum("ii->i", &[&t(&[2, 3])]);
}

#[test]
#[should_panic(expected = "does not name the dims of shape [2]")]
fn einsum_ellipsis_with_too_many_letters() {
    tapegrad::einsum("...ij->ij", &[&t(&[2])]);
}

#[test]
fn layer_shape_errors_name_the_layer_at_the_callers_line() {
    use crate::common::panic_location;
    use tapegrad::nn;
    use tapegrad::rand::{SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(0);
    let mha = nn::MultiheadAttention::<f32>::new(4, 2, &mut rng);
    let line = line!() + 1;
    let at = panic_location(|| drop(mha.forward(&Tensor::zeros(&[5, 2, 6]))));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{line}")),
        "{at}"
    );
    let enc = nn::TransformerEncoderLayer::<f32>::new(4, 2, 8, &mut rng);
    let line = line!() + 1;
    let at = panic_location(|| drop(enc.forward(&Tensor::zeros(&[5, 2, 6]))));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{line}")),
        "{at}"
    );
}

#[test]
#[should_panic(
    expected = "tapegrad: group_norm: input of shape [2, 6, 3] has 6 channels, but the weight has shape [4]"
)]
fn group_norm_with_the_wrong_channel_count() {
    use tapegrad::prelude::*;
    nn::GroupNorm::<f32>::new(2, 4).forward(&Tensor::zeros(&[2, 6, 3]));
}

#[test]
#[should_panic(
    expected = "tapegrad: linear: input of shape [2, 4] does not end in in_features = 5"
)]
fn linear_with_the_wrong_input_size() {
    tapegrad::nn::functional::linear(&t(&[2, 4]), &t(&[3, 5]), None);
}

#[test]
fn index_norm_and_lerp_errors_point_at_the_callers_line() {
    use crate::common::panic_location;
    let a = t(&[2, 3]);
    let bad = Tensor::<i64>::from_vec(vec![0, 5], &[2]);
    let line = line!() + 1;
    let at = panic_location(|| drop(a.index_select(1, &bad)));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{line}")),
        "{at}"
    );
    let line = line!() + 1;
    let at = panic_location(|| drop(a.index_add(0, &bad, &a)));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{line}")),
        "{at}"
    );
    let line = line!() + 1;
    let at = panic_location(|| drop(a.norm(2.0, Some(&[5]), false)));
    assert!(
        at.starts_with(&format!("tests/shape_errors.rs:{line}")),
        "{at}"
    );
}

#[test]
#[should_panic(expected = "tapegrad: lerp: shapes [2, 3] and [4] cannot be broadcast together")]
fn lerp_with_unbroadcastable_shapes() {
    t(&[2, 3]).lerp(&t(&[4]), 0.5);
}
