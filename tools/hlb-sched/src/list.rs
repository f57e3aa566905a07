// SPDX-License-Identifier: GPL-2.0

//! Intrusive lists over index-addressed tables: the scheduler's queues are
//! made of these, so that moving an entry or a flow never allocates.
//! [`NIL`] is the null index.

/// The null index.
pub(crate) const NIL: u32 = u32::MAX;

/// A singly linked FIFO of table slots, linked through their `next` field
/// ([`Next`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fifo {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl Default for Fifo {
    fn default() -> Self {
        Self {
            head: NIL,
            tail: NIL,
        }
    }
}

/// The link of a [`Fifo`] member.
pub(crate) trait Next {
    fn next(&self) -> u32;
    fn set_next(&mut self, i: u32);
}

/// Implements [`Next`] for types linked through a `next: u32` field.
macro_rules! next_field {
    ($($t:ty),*) => {
        $(impl $crate::list::Next for $t {
            #[inline(always)]
            fn next(&self) -> u32 {
                self.next
            }
            #[inline(always)]
            fn set_next(&mut self, i: u32) {
                self.next = i;
            }
        })*
    };
}
pub(crate) use next_field;

impl Fifo {
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Appends `i` (on no FIFO) at the tail.
    #[inline(always)]
    pub(crate) fn push<T: Next>(&mut self, t: &mut [T], i: u32) {
        t[i as usize].set_next(NIL);
        if self.tail == NIL {
            self.head = i;
        } else {
            t[self.tail as usize].set_next(i);
        }
        self.tail = i;
    }

    /// Unlinks the head (the FIFO is not empty) and returns it.
    #[inline(always)]
    pub(crate) fn pop<T: Next>(&mut self, t: &[T]) -> u32 {
        let i = self.head;
        self.head = t[i as usize].next();
        if self.head == NIL {
            self.tail = NIL;
        }
        i
    }
}

/// A doubly linked list of table slots (flows), so that a flow can leave
/// the middle of a list in constant time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DList {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl Default for DList {
    fn default() -> Self {
        Self {
            head: NIL,
            tail: NIL,
        }
    }
}

/// Links of a [`DList`] member.
pub(crate) trait DLinks {
    fn prev(&mut self) -> &mut u32;
    fn next(&mut self) -> &mut u32;
}

impl DList {
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Appends `i` (not on any list) at the tail.
    pub(crate) fn push_back<T: DLinks>(&mut self, t: &mut [T], i: u32) {
        *t[i as usize].prev() = self.tail;
        *t[i as usize].next() = NIL;
        if self.tail == NIL {
            self.head = i;
        } else {
            *t[self.tail as usize].next() = i;
        }
        self.tail = i;
    }

    /// Unlinks the head (the list is not empty) and returns it.
    #[inline]
    pub(crate) fn pop_front<T: DLinks>(&mut self, t: &mut [T]) -> u32 {
        let i = self.head;
        let next = *t[i as usize].next();
        self.head = next;
        if next == NIL {
            self.tail = NIL;
        } else {
            *t[next as usize].prev() = NIL;
        }
        i
    }

    /// Unlinks `i`, which is on this list.
    pub(crate) fn remove<T: DLinks>(&mut self, t: &mut [T], i: u32) {
        let prev = *t[i as usize].prev();
        let next = *t[i as usize].next();
        if prev == NIL {
            self.head = next;
        } else {
            *t[prev as usize].next() = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            *t[next as usize].prev() = prev;
        }
    }
}
