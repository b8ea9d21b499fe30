//! Anomaly detection is a process-wide switch, so its tests live in their own binary and
//! run in one test, in order.

use tapegrad::Tensor;

#[test]
fn anomaly_detection_names_the_op_and_the_users_line() {
    // Off (the default): a NaN/Inf gradient flows through without complaint.
    let x = Tensor::from_vec(vec![0.0f64, 1.0], &[2]).requires_grad();
    x.log().sum().backward();
    assert!(x.grad().unwrap().to_vec()[0].is_infinite());

    tapegrad::set_detect_anomaly(true);
    let x = Tensor::from_vec(vec![0.0f64, 1.0], &[2]).requires_grad();
    let line = line!() + 1;
    let y = x.sqrt(); // d/dx sqrt at 0 is inf
    let h = &y * 2.0;
    let err = h.sum().try_backward().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`sqrt`"), "{msg}");
    assert!(msg.contains(&format!("tests/anomaly.rs:{line}")), "{msg}");
    match err {
        tapegrad::Error::Anomaly { op, input, .. } => assert_eq!((op, input), ("sqrt", 0)),
        other => panic!("unexpected {other:?}"),
    }
    // backward() reports the same as a panic.
    let panic = std::panic::catch_unwind(|| h.sum().backward()).unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("anomaly") && text.contains("`sqrt`"),
        "{text}"
    );
    tapegrad::set_detect_anomaly(false);
}
