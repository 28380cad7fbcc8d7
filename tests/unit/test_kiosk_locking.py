"""The in-process creation lock: one holder per partner, a refusal after the patience."""

from __future__ import annotations

import threading

from domain.datakiosk.lifecycle import Created, QueryCreator, Wait
from domain.datakiosk.locking import ProcessCreationLock
from tests.kiosk_fakes import PARTNER, FakeKioskApi, race


def test_a_partner_has_one_holder_and_partners_do_not_share() -> None:
    lock = ProcessCreationLock(patience_seconds=0.01)

    with lock.holding(PARTNER) as held:
        assert held
        with lock.holding(PARTNER) as also:
            assert not also
        with lock.holding("OTHER") as other:
            assert other
    with lock.holding(PARTNER) as again:
        assert again


def test_a_waiting_caller_gets_the_lock_once_the_holder_leaves() -> None:
    lock = ProcessCreationLock(patience_seconds=5.0)
    entered, leave = threading.Event(), threading.Event()
    results: list[bool] = []

    def hold() -> None:
        with lock.holding(PARTNER):
            entered.set()
            leave.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait()

    def wait_for_it() -> None:
        with lock.holding(PARTNER) as held:
            results.append(held)

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    leave.set()
    holder.join()
    waiter.join()

    assert results == [True]


def test_creators_racing_in_threads_take_a_single_free_slot_once() -> None:
    # getQueries takes 50 ms after counting: without the lock all six see the free slot
    api, lock = FakeKioskApi(count_seconds=0.05), ProcessCreationLock()
    creators = [QueryCreator(api, max_in_flight=1, lock=lock) for _ in range(6)]

    answers = race(creators)

    assert len(api.created) == 1
    assert sum(isinstance(a, Created) for a in answers) == 1
    assert answers.count(Wait(("q1",))) == len(creators) - 1
