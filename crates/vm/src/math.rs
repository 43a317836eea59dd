//! Complex-number functions as numexpr computes them, where `num-complex` has none or differs.

use num_complex::Complex64;

/// Complex division as numexpr computes it: `a * conj(b) / |b|²`.
pub fn cdiv(a: Complex64, b: Complex64) -> Complex64 {
    let d = b.re * b.re + b.im * b.im;
    Complex64::new((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d)
}

/// `a ** b` for complex numbers; small integer powers by multiplication, as NumPy.
pub fn cpow(a: Complex64, b: Complex64) -> Complex64 {
    if b.im == 0.0 && b.re.fract() == 0.0 && b.re.abs() < 100.0 {
        let n = b.re as i32;
        if n == 0 {
            return Complex64::new(1.0, 0.0);
        }
        let mut acc = Complex64::new(1.0, 0.0);
        let mut base = a;
        let mut e = n.unsigned_abs();
        while e > 0 {
            if e & 1 == 1 {
                acc *= base;
            }
            base *= base;
            e >>= 1;
        }
        return if n < 0 { cdiv(Complex64::new(1.0, 0.0), acc) } else { acc };
    }
    if a.re == 0.0 && a.im == 0.0 {
        return Complex64::new(0.0, 0.0);
    }
    a.powc(b)
}

pub fn clog1p(a: Complex64) -> Complex64 {
    (a + 1.0).ln()
}

pub fn cexpm1(a: Complex64) -> Complex64 {
    Complex64::new(a.re.exp_m1() * a.im.cos() + (a.im.cos() - 1.0), a.re.exp() * a.im.sin())
}
