//! The autograd engine: recording ops ([`tape`]), the reverse walk ([`backward`]), and the
//! tools around it (gradcheck, DOT graphs).

pub(crate) mod backward;
mod dot;
pub(crate) mod gradcheck;
pub(crate) mod tape;
