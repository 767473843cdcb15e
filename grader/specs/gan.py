"""Checks for ``gan``: the two losses against PyTorch's BCE-with-logits, one step against autograd.

Every logit a check produces stays within [-10, 10] (as the contract promises), where the plain
``log(sigmoid(x))`` and ``log(1 - sigmoid(x))`` are accurate to ~1e-12 absolute, so any correct
float64 formula agrees with PyTorch far inside ``rtol=1e-7``.  The catalogued mistakes move the
output by a factor (sum vs mean, a sign, swapped labels) or, in ``gan_step``, by at least ~1e-4:
``lr`` is drawn from {0.1, 0.3, 0.5} so that even second-order errors (the generator stepping
through the old discriminator) show clearly.  Real and fake batches have equal sizes in the main
checks and different sizes in checks of their own, the contract's edge convention.
"""

from __future__ import annotations

from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec
from grader.strategies import away_from_zero, dims, rng, seeds, uniform
from reference import gan as ref

spec = ModuleSpec("gan", "A one-dimensional GAN trained by hand", reference=ref)

LOSS_TOL = Tolerance(1e-7, 1e-9, "log(sigmoid) and log(1 - sigmoid) for logits in [-10, 10] agree "
                     "with PyTorch's stable BCE to ~1e-12; the nearest mistake changes the loss "
                     "by a factor or a sign, i.e. by ~1e-4 at the very least")
STEP_TOL = Tolerance(1e-7, 1e-9, "one float64 step of a four-parameter model, written in any "
                     "order, agrees with autograd to ~1e-14; the nearest mistake (the generator "
                     "stepping through the old discriminator) moves a parameter by ~1e-4 or more")


@st.composite
def logit_pairs(draw, same_size: bool):
    """``real_logits`` and ``fake_logits`` in [-8, 8]: equal lengths, or two distinct ones."""
    n_real, n_fake = (draw(dims(1)) * 2) if same_size else draw(dims(2))
    gen = rng(draw(seeds))
    return {"real_logits": uniform(gen, n_real, -8.0, 8.0),
            "fake_logits": uniform(gen, n_fake, -8.0, 8.0)}


@st.composite
def fake_logits(draw, low: float, high: float):
    (n,) = draw(dims(1))
    return {"fake_logits": uniform(rng(draw(seeds)), n, low, high)}


@st.composite
def gan_inputs(draw, same_size: bool):
    """Parameters, a real batch, latent codes and a learning rate, all logits within [-10, 10].

    |real|, |G(z)| <= 2 and |w| <= 2, |c| <= 1 keep the first logits within 5; the
    discriminator's gradients are below 4 (w) and 1 (c), so after a step with lr <= 0.5,
    |w'| < 4 and |c'| < 1.5 keep the generator's logits within 9.5.
    """
    n_real, n_z = (draw(dims(1)) * 2) if same_size else draw(dims(2))
    gen = rng(draw(seeds))
    lr = draw(st.sampled_from([0.1, 0.3, 0.5]))
    center = float(gen.uniform(-1.5, 1.5))
    return {
        "g_params": {"a": float(away_from_zero(gen, (), 0.5, 1.5)), "b": float(gen.uniform(-0.5, 0.5))},
        "d_params": {"w": float(gen.uniform(-2.0, 2.0)), "c": float(gen.uniform(-1.0, 1.0))},
        "real": center + uniform(gen, n_real, -0.5, 0.5),
        "z": uniform(gen, n_z),
        "lr": lr,
    }


# discriminator_loss ------------------------------------------------------------------------
spec.check("discriminator_loss", "matches_torch", points=1,
           description="equals BCE-with-logits of the real logits against 1 plus the fake "
                       "logits against 0 (each mean-reduced), for batches of equal size",
           inputs=logit_pairs(same_size=True), oracle=ref.discriminator_loss, tol=LOSS_TOL)
spec.check("discriminator_loss", "different_batch_sizes", points=1,
           description="averages the real and the fake terms over their own batch sizes when "
                       "the two batches differ in size",
           inputs=logit_pairs(same_size=False), oracle=ref.discriminator_loss, tol=LOSS_TOL)
spec.mistakes(
    "discriminator_loss",
    labels_swapped=("Your loss treats the real logits as fake and the fake ones as real: the real term is "
                    "-mean(log sigmoid(real)) and the fake term is -mean(log(1 - sigmoid(fake)))."),
    sum_not_mean="You summed the per-sample losses: take the mean of each term over its batch.",
    missing_minus=("Your loss is negative: it is minus the mean log-probabilities, "
                   "-mean(log sigmoid(real)) - mean(log(1 - sigmoid(fake)))."),
    log_sigmoid_of_fake=("For the fake logits you used log(sigmoid(fake)): the discriminator should call a fake "
                         "fake, so its term is log(1 - sigmoid(fake))."),
    concatenated_mean=("You averaged over the real and fake samples pooled together: average each term over "
                       "its own batch and add the two means."),
    one_batch_size_for_both=("You divided both sums by the size of the real batch: the fake term is averaged over "
                             "the fake batch, which may have a different size."),
    averaged_terms=("You halved the loss, (real term + fake term) / 2, as some tutorials do. The contract's "
                    "discriminator loss is the sum of the two means: -mean(log sigmoid(real)) - "
                    "mean(log(1 - sigmoid(fake)))."),
)

# generator_loss ----------------------------------------------------------------------------
spec.check("generator_loss", "matches_torch", points=1,
           description="equals BCE-with-logits of the fake logits against the label 1 "
                       "(the non-saturating loss -mean(log sigmoid(fake)))",
           inputs=fake_logits(-8.0, 8.0), oracle=ref.generator_loss, tol=LOSS_TOL)
spec.check("generator_loss", "rejected_fakes", points=1,
           description="stays correct when the discriminator confidently rejects every fake "
                       "(logits in [-10, -3]), where the non-saturating loss is large",
           inputs=fake_logits(-10.0, -3.0), oracle=ref.generator_loss, tol=LOSS_TOL)
spec.mistakes(
    "generator_loss",
    saturating=("You returned the saturating minimax form mean(log(1 - sigmoid(fake))): its gradient "
                "vanishes when the discriminator rejects the fakes. Use -mean(log sigmoid(fake))."),
    missing_minus="Your loss is negative: the generator minimises -mean(log sigmoid(fake)).",
    sum_not_mean="You summed over the batch: take the mean.",
    fake_label_zero=("You scored the fakes against the label 0 (the discriminator's target): the generator "
                     "wants them called real, label 1, i.e. -mean(log sigmoid(fake))."),
)

# gan_step ----------------------------------------------------------------------------------
GAN_OUTPUTS = ("g_params", "d_params", "d_loss", "g_loss")
spec.check("gan_step", "matches_autograd", points=1,
           description="one discriminator step, then one generator step through the updated "
                       "discriminator, equal to torch.autograd; losses before each update",
           inputs=gan_inputs(same_size=True), oracle=ref.gan_step, tol=STEP_TOL, outputs=GAN_OUTPUTS)
spec.check("gan_step", "different_batch_sizes", points=1,
           description="the same step when the real batch and the latent batch differ in size",
           inputs=gan_inputs(same_size=False), oracle=ref.gan_step, tol=STEP_TOL, outputs=GAN_OUTPUTS)
spec.mistakes(
    "gan_step",
    old_discriminator=("Your generator step used the discriminator from before its update (as when both "
                       "gradients come from one forward pass): step the discriminator first, then compute "
                       "the generator's loss and gradient with the new w and c."),
    discriminator_gradient_ascent=("Your discriminator moved up its loss: d_loss is already the negated log-likelihood, "
                                   "so step w and c by minus lr times its gradient."),
    fakes_not_detached=("Your discriminator step also changed a and b: during that step the fakes G(z) are "
                        "fixed data; only the generator step moves the generator."),
    losses_after_update=("Your parameters are right but the losses are the values after the updates: return "
                         "d_loss and g_loss as computed before each step."),
    concatenated_mean=("Your discriminator loss averages over the real and fake samples pooled together: "
                       "average each term over its own batch and add the two means."),
    one_batch_size_for_both=("Your discriminator loss divides both terms by the same batch size: the real term is "
                             "a mean over len(real) and the fake term a mean over len(z)."),
    averaged_discriminator_terms=("Your discriminator loss and its gradient are half the contract's: d_loss is the "
                                  "sum of the real and the fake means, not their average, so its gradient is "
                                  "not halved either."),
    saturating_generator_loss=("Your generator descended the saturating loss mean(log(1 - sigmoid(D(G(z))))): use the "
                               "non-saturating -mean(log sigmoid(D(G(z))))."),
    generator_gradient_missing_w=("Your generator gradient dropped the discriminator's weight from the chain rule: "
                                  "d logit / d G(z) = w, so dL/da = mean(dL/dlogit * w * z) and dL/db = mean(dL/dlogit * w)."),
)
